// What the apply handler published since the last run, learnt without reading a directory: the apply
// handler does not advance generations (it writes one item per entry), so the replica holds a run's entries
// as pending until it learns otherwise. A run that finished sending and whose every sent entry was applied
// (its counters: applied ≥ sent) has them all published or, for deletions, gone — so the replica marks them
// so. One GetItem and one small Query per run with pending entries; a run not yet fully applied stays
// pending, and its entries are looked up in DynamoDB once their re-send delay passes (the diff's rule).
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { RunRecord } from "../../aws/index/records.ts";
import { getRun, getRunProgress } from "../../aws/index/runs.ts";
import { mapLimit } from "../../core/concurrency.ts";
import type { IndexReplica } from "./replica.ts";

export interface PublicationLearnt {
  /** The records of the runs looked at, for the diff's run states (no second read). */
  runs: RunRecord[];
  /** Runs found fully applied, their entries now published in the replica. */
  applied: string[];
}

export async function learnPublication(
  replica: IndexReplica,
  ddb: DynamoDBClient,
  table: string,
): Promise<PublicationLearnt> {
  const learnt: PublicationLearnt = { runs: [], applied: [] };
  await mapLimit(replica.pendingRuns(), 8, async (runId) => {
    const run = await getRun(ddb, table, runId);
    if (!run) return;
    learnt.runs.push(run);
    // "sent": the run finished its sending, so every entry it indexed was sent (a run that died is
    // "running" or "interrupted", and what it indexed but never sent is re-sent by the diff's rule).
    if (run.status !== "sent" || run.sent <= 0) return;
    const progress = await getRunProgress(ddb, table, runId);
    if (progress.applied < run.sent) return;
    replica.markRunApplied(runId, run.finished ?? "");
    learnt.applied.push(runId);
  });
  return learnt;
}
