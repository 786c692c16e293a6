// The Restore workflow's input, as a person starts it from the console or the CLI (README "Restore"),
// and StartRestore's output, the restore request every later task receives as $.restore.
import * as z from "zod/mini";
import { normalisePrefix } from "../keys.ts";
import { parseIsoTime } from "../restore-rules.ts";
import { count, runId } from "./fields.ts";

const EXAMPLE = '{"target": "site", "prefix": "docs/", "asOf": "2026-11-25T09:00:00Z", "dryRun": true}';

const isoTime = z.string({ error: "expected an ISO 8601 time with its zone such as 2026-11-25T09:00:00Z" }).check(
  z.refine((text) => parseIsoTime(text) !== undefined, {
    error: "expected an ISO 8601 time with its zone such as 2026-11-25T09:00:00Z",
  }),
);

export const restoreStartInput = z
  .object({
    target: z.enum(["site", "host"], { error: `expected "site" or "host", as in ${EXAMPLE}` }),
    /** Key prefix in the bucket to restore ("" for everything), the agent's prefix included. */
    prefix: z.string({ error: `expected a key prefix ("" for the whole bucket), as in ${EXAMPLE}` }),
    /** The agent's site prefix: rewrite rules and the run record are relative to it. */
    sitePrefix: z.optional(z.string({ error: 'expected the agent\'s "prefix" ("" when it has none)' })),
    /** For "host" it may be absent: the state the index publishes now. */
    asOf: z.optional(isoTime),
    dryRun: z.optional(z.boolean()),
  })
  .check(
    z.superRefine((input, ctx) => {
      if (input.target === "site" && input.asOf === undefined) {
        ctx.issues.push({
          code: "custom",
          path: ["asOf"],
          message: `expected the time to restore to, which a site restore needs, as in ${EXAMPLE}`,
          input: undefined,
        });
      }
      const sitePrefix = normalisePrefix(input.sitePrefix ?? "");
      if (input.target === "host" && !input.prefix.startsWith(sitePrefix)) {
        const message = `expected a host restore's key prefix under "sitePrefix" ("${sitePrefix}…")`;
        ctx.issues.push({ code: "custom", path: ["prefix"], message, input: input.prefix });
      }
    }),
  );

export const restoreRequest = z.object({
  /** The restore's own run id: a site restore is a run through the ordinary pipeline. */
  runId,
  target: z.enum(["site", "host"]),
  prefix: z.string(),
  /** Normalised ("docs/" or ""). */
  sitePrefix: z.string(),
  /** Never later than when the restore started. */
  asOf: z.optional(isoTime),
  dryRun: z.boolean(),
  /** Page numbers of the directories the restore covers, for the Map states. */
  pages: z.array(count),
});

export type RestoreStartInput = z.output<typeof restoreStartInput>;
export type RestoreRequest = z.output<typeof restoreRequest>;
