// Host restore plan messages on the wire: the Restore workflow writes a page of the plan as parts within
// SQS's size limit (lambdas/restore/steps.ts) and the agent reads them (agent/restore/). Their shape is the
// contract in core/contracts/host-plan.ts.
import { checkContract, parseContract } from "./contracts/contract.ts";
import { HOST_PLAN_VERSION, hostPlanMessage, type HostPlanFile, type HostPlanMessage } from "./contracts/host-plan.ts";
import { BadInputError } from "./errors.ts";
import { asciiJson } from "./manifest.ts";

export type { HostPlanFile, HostPlanMessage } from "./contracts/host-plan.ts";

export type HostPlanHead = Pick<HostPlanMessage, "restoreId" | "sitePrefix" | "prefix" | "page" | "pages">;

/** Below SQS's 256 KiB per message, with room for the envelope. */
const MAX_BODY_CHARS = 200_000;
const MAX_ITEMS_PER_PART = 100;

/** The messages of one page: files and unrestorable keys in parts within the limits; always at least one. */
export function hostPlanPage(
  head: HostPlanHead,
  files: HostPlanFile[],
  unrestorable: HostPlanMessage["unrestorable"],
): string[] {
  const parts: Array<Pick<HostPlanMessage, "files" | "unrestorable">> = [];
  let current = { files: [] as HostPlanFile[], unrestorable: [] as HostPlanMessage["unrestorable"] };
  let chars = 0;
  let items = 0;
  const add = (length: number, put: () => void) => {
    if (items > 0 && (items >= MAX_ITEMS_PER_PART || chars + length > MAX_BODY_CHARS)) {
      parts.push(current);
      current = { files: [], unrestorable: [] };
      chars = 0;
      items = 0;
    }
    put();
    chars += length + 1;
    items++;
  };
  for (const f of files) add(asciiJson(f).length, () => current.files.push(f));
  for (const u of unrestorable) add(asciiJson(u).length, () => current.unrestorable.push(u));
  parts.push(current);
  return parts.map((p, part) => {
    const message: HostPlanMessage = { v: HOST_PLAN_VERSION, ...head, part, parts: parts.length, ...p };
    return asciiJson(
      checkContract(hostPlanMessage, message, `restore ${head.restoreId} page ${head.page} part ${part}`),
    );
  });
}

/** Reads one plan message; BadInputError says what is wrong with it. */
export function parseHostPlan(body: string): HostPlanMessage {
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch {
    throw new BadInputError("the body is not JSON; expected a sitesync host restore plan");
  }
  return parseContract(hostPlanMessage, raw, "");
}
