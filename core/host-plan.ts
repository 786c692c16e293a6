// A host restore plan as the Restore workflow puts it on the restore queue (lambdas/restore/steps.ts) and
// the agent reads it (agent/restore/restore-host.ts): one definition for both. A plan comes in pages, one per page
// of directories the workflow's Map state planned, and a page in one or more parts (messages within SQS's
// size limit). Every part names its page, its part and both totals, so the agent knows when it holds the
// whole plan: only then may it remove files the plan does not hold.
import { BadInputError } from "./errors.ts";
import type { DesiredPut } from "./index-record.ts";
import { asciiJson } from "./manifest.ts";
import { isMtime } from "./mtime.ts";

export const HOST_PLAN_VERSION = 2;

export interface HostPlanFile {
  key: string;
  desired: DesiredPut;
  /** The version the site bucket holds now, when known: its object can stand in for expired staged bytes. */
  publishedVersion?: string;
}

export interface HostPlanMessage {
  v: typeof HOST_PLAN_VERSION;
  restoreId: string;
  /** The agent's key prefix in the bucket; a plan is only for a host that syncs this prefix. */
  sitePrefix: string;
  /** Key prefix restored, site prefix included. */
  prefix: string;
  /** Page of this part, from 0, and how many pages the plan has. */
  page: number;
  pages: number;
  /** Part of this message within its page, from 0, and how many parts the page has. */
  part: number;
  parts: number;
  files: HostPlanFile[];
  /** Keys the restore cannot bring back: reported, and their files are never removed as extra. */
  unrestorable: Array<{ key: string; reason: string }>;
}

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
  return parts.map((p, part) => asciiJson({ v: HOST_PLAN_VERSION, ...head, part, parts: parts.length, ...p }));
}

/** Reads one plan message; BadInputError says what is wrong with it. */
export function parseHostPlan(body: string): HostPlanMessage {
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch {
    throw new BadInputError("the body is not JSON");
  }
  const m = raw as Record<string, unknown>;
  if (typeof m !== "object" || m === null || Array.isArray(m)) {
    throw new BadInputError("the body is not a JSON object");
  }
  if (m.v !== HOST_PLAN_VERSION) throw new BadInputError(`plan version ${String(m.v)} is not ${HOST_PLAN_VERSION}`);
  for (const field of ["restoreId", "sitePrefix", "prefix"]) {
    if (typeof m[field] !== "string") throw new BadInputError(`"${field}" must be a string`);
  }
  if (m.restoreId === "") throw new BadInputError(`"restoreId" is empty`);
  if (!(m.prefix as string).startsWith(m.sitePrefix as string)) {
    throw new BadInputError(`"prefix" is not under "sitePrefix"`);
  }
  for (const [index, total] of [["page", "pages"], ["part", "parts"]] as const) {
    const i = m[index];
    const n = m[total];
    if (!Number.isSafeInteger(n) || (n as number) < 1) {
      throw new BadInputError(`"${total}" must be a whole number ≥ 1`);
    }
    if (!Number.isSafeInteger(i) || (i as number) < 0 || (i as number) >= (n as number)) {
      throw new BadInputError(`"${index}" must be a whole number from 0 to "${total}" − 1`);
    }
  }
  if (!Array.isArray(m.files)) throw new BadInputError(`"files" must be an array`);
  m.files.forEach((f, i) => checkFile(f, m.prefix as string, `files[${i}]`));
  if (!Array.isArray(m.unrestorable)) throw new BadInputError(`"unrestorable" must be an array`);
  m.unrestorable.forEach((u: { key?: unknown; reason?: unknown }, i) => {
    if (typeof u?.key !== "string" || typeof u.reason !== "string") {
      throw new BadInputError(`unrestorable[${i}] needs a key and a reason`);
    }
  });
  return m as unknown as HostPlanMessage;
}

function checkFile(raw: unknown, prefix: string, where: string): void {
  const f = raw as Partial<HostPlanFile> | null;
  if (typeof f?.key !== "string" || f.key === "" || !f.key.startsWith(prefix)) {
    throw new BadInputError(`${where}: "key" must be a key under "prefix"`);
  }
  if (f.publishedVersion !== undefined && typeof f.publishedVersion !== "string") {
    throw new BadInputError(`${where}: "publishedVersion" must be a string`);
  }
  const d = f.desired as Partial<DesiredPut> | undefined;
  const source = d?.source as { key?: unknown; offset?: unknown; length?: unknown } | undefined;
  const ranged = typeof source === "object" && source !== null && "offset" in source;
  const problems: Array<[boolean, string]> = [
    [d?.op !== "put", "op must be put"],
    [typeof d?.version !== "string" || d.version === "", "version missing"],
    [typeof d?.run !== "string", "run missing"],
    [!Number.isSafeInteger(d?.size) || (d?.size as number) < 0, "size must be a whole number ≥ 0"],
    [!isMtime(d?.mtime), "mtime must be nanoseconds as a decimal string"],
    [typeof d?.contentType !== "string", "contentType missing"],
    [typeof source?.key !== "string", "source.key missing"],
    [ranged && !(Number.isSafeInteger(source?.offset) && Number.isSafeInteger(source?.length)), "bad source range"],
  ];
  const problem = problems.find(([bad]) => bad);
  if (problem) throw new BadInputError(`${where} (${f.key}): desired ${problem[1]}`);
}
