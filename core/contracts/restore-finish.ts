// The Restore workflow's Finish task: the request and every page's result in; the execution's output, what
// a person reads from describe-execution, out.
import * as z from "zod/mini";
import { count, runId } from "./fields.ts";
import { pageResult } from "./restore-page.ts";
import { restoreRequest } from "./restore-start.ts";

export const restoreFinishInput = z.object({ restore: restoreRequest, results: z.array(pageResult) });

export const restoreFinishOutput = z.object({
  runId,
  target: z.enum(["site", "host"]),
  dryRun: z.boolean(),
  asOf: z.nullable(z.string()),
  restored: count,
  removed: count,
  unchanged: count,
  unrestorable: count,
  sent: count,
  messages: count,
  sample: z.array(z.string()),
  /** The PostSync a site restore that sent entries started. */
  postSyncExecutionArn: z.nullable(z.string()),
});

export type RestoreFinishInput = z.output<typeof restoreFinishInput>;
export type RestoreFinishOutput = z.output<typeof restoreFinishOutput>;
