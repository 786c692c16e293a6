// The index's run records: one per run of the agent (or restore), the open markers of runs not yet
// settled, the apply handler's sharded counters, and the agent's heartbeat per site prefix.
//
// While a run of the agent still needs attention — it has not recorded the end of its sending, or its
// PostSync has not been started — a marker names it, so the next run finds it with one small Query instead
// of reading every run ever made.
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  addCounter,
  allOpenRunsQuery,
  changePagesUpdate,
  heartbeat,
  heartbeatItem,
  heartbeatsQuery,
  messageCountedUpdate,
  openDelete,
  openItem,
  openRunId,
  openRunPrefix,
  openRunsQuery,
  postSyncStartedUpdate,
  runCounterQuery,
  runFinishedUpdate,
  runItem,
  runKey,
  runRecord,
  runSentUpdate,
  runsQuery,
  type QuerySpec,
} from "./items.ts";
import { batchWrite, getItem, putItem, queryAll, queryLast, updateIf, updateItem } from "./table.ts";
import type { Heartbeat, RunProgress, RunRecord } from "./records.ts";

export async function putRun(ddb: DynamoDBClient, table: string, run: RunRecord): Promise<void> {
  await putItem(ddb, table, runItem(run));
}

export async function getRun(ddb: DynamoDBClient, table: string, runId: string): Promise<RunRecord | undefined> {
  const item = await getItem(ddb, table, runKey(runId));
  return item ? runRecord(item) : undefined;
}

/** Marks a run as needing attention until closeRun: written before the run writes anything else. */
export async function openRun(ddb: DynamoDBClient, table: string, runId: string, prefix: string): Promise<void> {
  await putItem(ddb, table, openItem(runId, prefix));
}

/** Removes a settled run's marker (BatchWriteItem: the agent's only way to remove an item). */
export async function closeRun(ddb: DynamoDBClient, table: string, runId: string): Promise<void> {
  await batchWrite(ddb, table, [openDelete(runId)]);
}

/**
 * The runs of a prefix still open: not finished sending, or PostSync not started. A marker whose run
 * record is missing (the run died between the two writes) is returned as a running run with no record.
 */
export function listOpenRuns(ddb: DynamoDBClient, table: string, prefix: string): Promise<RunRecord[]> {
  return openRuns(ddb, table, openRunsQuery(prefix));
}

/** The open runs of every prefix, as listOpenRuns. */
export function listAllOpenRuns(ddb: DynamoDBClient, table: string): Promise<RunRecord[]> {
  return openRuns(ddb, table, allOpenRunsQuery());
}

async function openRuns(ddb: DynamoDBClient, table: string, query: QuerySpec): Promise<RunRecord[]> {
  const markers = await queryAll(ddb, table, query, (item) => ({
    runId: openRunId(item),
    prefix: openRunPrefix(item),
  }));
  const runs = await Promise.all(markers.map(({ runId }) => getRun(ddb, table, runId)));
  return runs.map(
    (run, i) =>
      run ?? {
        runId: markers[i]!.runId,
        status: "running",
        prefix: markers[i]!.prefix,
        started: "",
        sent: 0,
        messages: 0,
        changePages: 0,
        counts: {},
      },
  );
}

/** The newest `limit` runs of every prefix, newest first: run ids sort by their start time. */
export async function listRecentRuns(ddb: DynamoDBClient, table: string, limit: number): Promise<RunRecord[]> {
  return (await queryLast(ddb, table, runsQuery(), limit)).map(runRecord);
}

/**
 * Records what the run has sent so far as it goes, so a run that dies mid-way leaves counts that PostSync
 * can wait on (never more than was sent: the totals follow SQS's acceptance). Sends finish in any order:
 * a total lower than the one recorded changes nothing.
 */
export async function addRunSent(
  ddb: DynamoDBClient,
  table: string,
  runId: string,
  sent: { totalEntries: number; totalMessages: number },
): Promise<void> {
  await updateIf(ddb, table, runSentUpdate(runId, { entries: sent.totalEntries, messages: sent.totalMessages }));
}

/** Raises the run's page count to cover page `page` (pages are written concurrently, in any order). */
export async function recordChangePage(ddb: DynamoDBClient, table: string, runId: string, page: number): Promise<void> {
  await updateIf(ddb, table, changePagesUpdate(runId, page));
}

/** Records the end of a run's sending (or that a later run found it dead): its counts stay as added. */
export async function finishRun(
  ddb: DynamoDBClient,
  table: string,
  runId: string,
  status: "sent" | "interrupted",
  finished: string,
): Promise<void> {
  await updateItem(ddb, table, runFinishedUpdate(runId, status, finished));
}

export async function setPostSyncStarted(
  ddb: DynamoDBClient,
  table: string,
  runId: string,
  executionArn: string,
): Promise<void> {
  await updateItem(ddb, table, postSyncStartedUpdate(runId, executionArn));
}

/**
 * Counts one manifest message as applied, exactly once: the add and the record of its seq are one
 * conditional update, so a redelivered message is not counted twice.
 */
export function countMessageApplied(
  ddb: DynamoDBClient,
  table: string,
  runId: string,
  seq: number,
  counts: Omit<RunProgress, "messages">,
): Promise<boolean> {
  return updateIf(ddb, table, messageCountedUpdate(runId, seq, counts));
}

export async function getRunProgress(ddb: DynamoDBClient, table: string, runId: string): Promise<RunProgress> {
  const progress: RunProgress = { applied: 0, published: 0, deleted: 0, superseded: 0, conflicts: 0, messages: 0 };
  for (const shard of await queryAll(ddb, table, runCounterQuery(runId), (item) => item)) addCounter(progress, shard);
  return progress;
}

export async function putHeartbeat(ddb: DynamoDBClient, table: string, beat: Heartbeat): Promise<void> {
  await putItem(ddb, table, heartbeatItem(beat));
}

export function listHeartbeats(ddb: DynamoDBClient, table: string): Promise<Heartbeat[]> {
  return queryAll(ddb, table, heartbeatsQuery(), heartbeat);
}
