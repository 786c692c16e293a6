// PostSync's execution input: the agent (agent/run-lifecycle.ts) and the Restore workflow's last step
// (lambdas/restore/steps.ts) write it through aws/workflows.ts; the state machine (lib/post-sync.ts) reads
// it: AwaitApplied hands `runId` to lambdas/post-sync/await-run.ts (awaitRunInput), and the AnythingSent
// choice goes on past a run that sent nothing only when `edgeRules` is true.
import * as z from "zod/mini";
import { runId } from "./fields.ts";

export const postSyncStartInput = z.strictObject({
  runId,
  /** The run stored changed edge rules (.htaccess): PostSync publishes them even if it sent nothing. */
  edgeRules: z.optional(z.boolean()),
});

export type PostSyncStartInput = z.output<typeof postSyncStartInput>;
