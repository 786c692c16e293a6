// PostSync's AwaitApplied (and DescribeUnappliedRun) task: the state machine (lib/post-sync.ts) passes the
// execution's run id; lambdas/post-sync/await-run.ts describes the run, which later tasks take as $.run.
import * as z from "zod/mini";
import { count, runId } from "./fields.ts";

export const awaitRunInput = z.object({
  runId,
  /** The wait is over: describe the run as it stands instead of failing while entries are unapplied. */
  final: z.optional(z.boolean()),
});

export const awaitRunOutput = z.object({
  runId,
  prefix: z.string(),
  sent: count,
  applied: count,
  changePages: count,
  /** Some entries were never applied (dead-lettered, expired): listings and invalidations cover the rest. */
  partial: z.boolean(),
});

export type AwaitRunInput = z.output<typeof awaitRunInput>;
export type AwaitRunOutput = z.output<typeof awaitRunOutput>;
