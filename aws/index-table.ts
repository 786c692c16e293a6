// The DynamoDB index: item layout and every read and write the pipeline makes on it.
//
// One table, string keys pk/sk. Items are grouped by directory so that the agent reads the desired state
// one directory at a time (bounded memory, parallel across directories) and PostSync lists a directory
// with one Query:
//
//   file        pk "d#<dir>"      sk "<name>"            desired (op v size mtime ct src run),
//                                                         published (pv pat prun pcp), gen
//   directory   pk "d#<dir>"      sk "<name>/"           t "d": a subdirectory exists (so deleted
//                                                         directories are found without a bucket listing)
//   history     pk "h#<dir>"      sk "<name>/<version>"  every staged version, for point-in-time restore
//   history dir pk "hdirs"        sk "<dir>/"            every directory that has history, so a restore
//                                                         finds directories that no longer exist
//   run         pk "runs"         sk "<runId>"           status, sent, messages, times, counts
//   run counter pk "r#<runId>"    sk "s<NN>"             applied counts and the set of counted message seqs,
//                                                         sharded so no item nears 400 KB on big runs
//
// Sort keys compare as UTF-8 bytes, the same order the agent sorts its directory listings in ("/" sorts
// the directory marker "a/" between "a.txt" and "a0", consistently on both sides).
import {
  BatchGetItemCommand,
  BatchWriteItemCommand,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
  type QueryCommandInput,
  type WriteRequest,
} from "@aws-sdk/client-dynamodb";
import { mapLimit } from "../core/concurrency.ts";
import { BadInputError, PermanentError } from "../core/errors.ts";
import type { BytesLocation, Desired, DesiredPut, IndexFile, Published } from "../core/index-record.ts";
import { joinKey, splitKey } from "../core/keys.ts";
import { drainWithBackoff } from "./backoff.ts";

type Item = Record<string, AttributeValue>;

export const RUN_COUNTER_SHARDS = 16;

export const filePk = (dir: string): string => checkedPk(`d#${dir}`);
export const historyPk = (dir: string): string => checkedPk(`h#${dir}`);

// DynamoDB's key limits: 2,048 bytes of partition key, 1,024 of sort key. The local emulator does not
// enforce them, so the adapter does: a key over the limit fails here, naming the key, instead of as a
// ValidationException that only AWS would raise.
export const MAX_PARTITION_KEY_BYTES = 2048;
export const MAX_SORT_KEY_BYTES = 1024;

function checkedPk(pk: string): string {
  return withinLimit(pk, MAX_PARTITION_KEY_BYTES, `the directory ${JSON.stringify(pk.slice(2, 200))}…`, "partition", "directory path");
}

function checkedSk(sk: string): string {
  return withinLimit(sk, MAX_SORT_KEY_BYTES, `the name ${JSON.stringify(sk.slice(0, 200))}…`, "sort", "file name");
}

function withinLimit(value: string, limit: number, what: string, part: string, fix: string): string {
  const bytes = Buffer.byteLength(value, "utf8");
  if (bytes > limit) {
    throw new BadInputError(`${what} is ${bytes} bytes long as an index ${part} key; DynamoDB allows ${limit}: shorten the ${fix}`);
  }
  return value;
}

/** The primary key of a file's item. */
function fileKey(key: string): Item {
  const { dir, name } = splitKey(key);
  return { pk: S(filePk(dir)), sk: S(checkedSk(name)) };
}

export type DirectoryEntry = { kind: "file"; name: string; file: IndexFile } | { kind: "dir"; name: string };

// ---- item mapping ----

const S = (value: string): AttributeValue => ({ S: value });
const N = (value: number): AttributeValue => ({ N: String(value) });

function sourceToItem(source: BytesLocation): AttributeValue {
  const m: Item = { k: S(source.key) };
  if ("offset" in source) {
    m.o = N(source.offset);
    m.n = N(source.length);
  }
  return { M: m };
}

function sourceFromItem(value: AttributeValue | undefined): BytesLocation {
  const m = value?.M;
  if (m?.k?.S === undefined) throw new PermanentError("index item has no bytes location");
  return m.o?.N !== undefined && m.n?.N !== undefined
    ? { key: m.k.S, offset: Number(m.o.N), length: Number(m.n.N) }
    : { key: m.k.S };
}

function desiredAttributes(desired: Desired): Item {
  const item: Item = { op: S(desired.op), v: S(desired.version), run: S(desired.run) };
  if (desired.op === "put") {
    item.size = N(desired.size);
    item.mtime = S(desired.mtime);
    item.ct = S(desired.contentType);
    item.src = sourceToItem(desired.source);
  }
  return item;
}

export function fileFromItem(item: Item): IndexFile {
  const pk = item.pk?.S ?? "";
  const key = joinKey(pk.slice(2), item.sk?.S ?? "");
  const op = item.op?.S;
  const version = item.v?.S ?? "";
  const run = item.run?.S ?? "";
  const desired: Desired =
    op === "delete"
      ? { op: "delete", version, run }
      : {
          op: "put",
          version,
          run,
          size: Number(item.size?.N ?? "0"),
          mtime: item.mtime?.S ?? "0",
          contentType: item.ct?.S ?? "application/octet-stream",
          source: sourceFromItem(item.src),
        };
  const file: IndexFile = { key, desired };
  if (item.pv?.S) {
    file.published = {
      version: item.pv.S,
      at: item.pat?.S ?? "",
      run: item.prun?.S ?? "",
      copies: (item.pcp?.L ?? []).map((v) => v.S ?? ""),
    };
  }
  if (item.gen?.BOOL) file.generated = true;
  return file;
}

// ---- reads ----

/** The items of a Query, page by page (LastEvaluatedKey followed to the end). */
export async function* queryPages(ddb: DynamoDBClient, input: Omit<QueryCommandInput, "ExclusiveStartKey">): AsyncGenerator<Item[]> {
  let startKey: Item | undefined;
  do {
    const page = await ddb.send(new QueryCommand({ ...input, ExclusiveStartKey: startKey }));
    yield page.Items ?? [];
    startKey = page.LastEvaluatedKey;
  } while (startKey);
}

/**
 * Every entry of one directory, in sort-key (UTF-8 byte) order, page by page. Eventually consistent by
 * default, at half the price: the agent's scans run minutes apart under one lock, long after the last
 * write to the index settled (DynamoDB converges within about a second).
 */
export async function* queryDirectory(
  ddb: DynamoDBClient,
  table: string,
  dir: string,
  consistent = false,
): AsyncGenerator<DirectoryEntry[]> {
  for await (const items of queryPages(ddb, {
    TableName: table,
    KeyConditionExpression: "pk = :pk",
    ExpressionAttributeValues: { ":pk": S(filePk(dir)) },
    ConsistentRead: consistent,
  })) {
    const entries: DirectoryEntry[] = items.map((item) => {
      const sk = item.sk?.S ?? "";
      return item.t?.S === "d"
        ? { kind: "dir", name: sk.slice(0, -1) }
        : { kind: "file", name: sk, file: fileFromItem(item) };
    });
    yield entries;
  }
}

export async function getFile(ddb: DynamoDBClient, table: string, key: string): Promise<IndexFile | undefined> {
  const res = await ddb.send(new GetItemCommand({ TableName: table, Key: fileKey(key), ConsistentRead: true }));
  return res.Item ? fileFromItem(res.Item) : undefined;
}

/** Many files at once (BatchGetItem, 100 keys a call, strongly consistent); absent keys map to undefined. */
export async function getFiles(ddb: DynamoDBClient, table: string, keys: string[]): Promise<Map<string, IndexFile | undefined>> {
  const found = new Map<string, IndexFile | undefined>(keys.map((k) => [k, undefined]));
  const unique = [...found.keys()];
  const chunks: Item[][] = [];
  for (let i = 0; i < unique.length; i += 100) {
    chunks.push(unique.slice(i, i + 100).map(fileKey));
  }
  await Promise.all(
    chunks.map((chunk) =>
      drainWithBackoff(
        chunk,
        async (pending) => {
          const res = await ddb.send(
            new BatchGetItemCommand({ RequestItems: { [table]: { Keys: pending, ConsistentRead: true } } }),
          );
          for (const item of res.Responses?.[table] ?? []) {
            const file = fileFromItem(item);
            found.set(file.key, file);
          }
          return res.UnprocessedKeys?.[table]?.Keys ?? [];
        },
        `BatchGetItem from ${table}`,
      ),
    ),
  );
  return found;
}

export interface HistoryVersion {
  key: string;
  desired: Desired;
  /** When the version was staged (ISO time): the moment it became the site's version, within seconds. */
  at: string;
}

/** Every retained version of every key of one directory, oldest first per key. */
export async function queryHistory(ddb: DynamoDBClient, table: string, dir: string): Promise<HistoryVersion[]> {
  const versions: HistoryVersion[] = [];
  for await (const items of queryPages(ddb, {
    TableName: table,
    KeyConditionExpression: "pk = :pk",
    ExpressionAttributeValues: { ":pk": S(historyPk(dir)) },
    ConsistentRead: true,
  })) {
    for (const item of items) {
      const sk = item.sk?.S ?? "";
      const name = sk.slice(0, sk.lastIndexOf("/"));
      const file = fileFromItem({ ...item, pk: S(filePk(dir)), sk: S(name) });
      versions.push({ key: file.key, desired: file.desired, at: item.at?.S ?? "" });
    }
  }
  return versions.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
}

/** Directories at or below `dir` that have history (restore's enumeration; no bucket listing). */
export async function queryHistoryDirs(ddb: DynamoDBClient, table: string, dir: string): Promise<string[]> {
  const dirs: string[] = [];
  for await (const items of queryPages(ddb, {
    TableName: table,
    KeyConditionExpression: dir === "" ? "pk = :pk" : "pk = :pk AND begins_with(sk, :dir)",
    ExpressionAttributeValues: { ":pk": S("hdirs"), ...(dir === "" ? {} : { ":dir": S(`${dir}/`) }) },
    ConsistentRead: true,
  })) {
    for (const item of items) dirs.push((item.sk?.S ?? "/").slice(0, -1));
  }
  return dirs;
}

/** A conditional write: true if it happened, false if its condition no longer held. */
async function conditionally(write: Promise<unknown>): Promise<boolean> {
  try {
    await write;
    return true;
  } catch (err) {
    if ((err as Error).name === "ConditionalCheckFailedException") return false;
    throw err;
  }
}

// ---- agent writes ----

export type IndexWrite =
  | { kind: "desired"; key: string; desired: Desired }
  | { kind: "history"; key: string; desired: Desired; at: string }
  | { kind: "historyDir"; dir: string }
  | { kind: "mkdir"; dir: string; name: string }
  | { kind: "rmdir"; dir: string; name: string }
  /** A listing page already in the bucket, recorded the way PostSync records the pages it generates. */
  | { kind: "generated"; key: string; desired: DesiredPut; published: Published; hash?: string };

/**
 * Desired state is written with PutItem, replacing the whole item: a new desired version forgets the
 * previous publication on purpose, except that the copies it made must still be known so the next apply
 * can remove stale ones. The agent passes them through `keepPublished`.
 */
function writeRequest(write: IndexWrite, keepPublished?: Published): WriteRequest {
  switch (write.kind) {
    case "desired": {
      const item: Item = { ...fileKey(write.key), t: S("f"), ...desiredAttributes(write.desired) };
      if (keepPublished) Object.assign(item, publishedAttributes(keepPublished));
      return { PutRequest: { Item: item } };
    }
    case "history": {
      const { dir, name } = splitKey(write.key);
      const item: Item = {
        pk: S(historyPk(dir)),
        sk: S(checkedSk(`${name}/${write.desired.version}`)),
        at: S(write.at),
        ...desiredAttributes(write.desired),
      };
      return { PutRequest: { Item: item } };
    }
    case "historyDir":
      // The trailing slash keeps the root ("") a valid key and makes begins_with match whole directories.
      return { PutRequest: { Item: { pk: S("hdirs"), sk: S(`${write.dir}/`) } } };
    case "mkdir":
      return { PutRequest: { Item: { pk: S(filePk(write.dir)), sk: S(checkedSk(`${write.name}/`)), t: S("d") } } };
    case "rmdir":
      return { DeleteRequest: { Key: { pk: S(filePk(write.dir)), sk: S(checkedSk(`${write.name}/`)) } } };
    case "generated": {
      const item: Item = { ...fileKey(write.key), t: S("f"), gen: { BOOL: true } };
      // PostSync compares its rendering with this hash; without one, its first listing replaces the page.
      if (write.hash !== undefined) item.hash = S(write.hash);
      return { PutRequest: { Item: { ...item, ...desiredAttributes(write.desired), ...publishedAttributes(write.published) } } };
    }
  }
}

function publishedAttributes(published: Published): Item {
  return {
    pv: S(published.version),
    pat: S(published.at),
    prun: S(published.run),
    pcp: { L: published.copies.map(S) },
  };
}

/**
 * Writes in BatchWriteItem calls of 25, retrying UnprocessedItems with backoff until every item is
 * written; a remainder after the last attempt is an error. Two writes to the same item must not share a
 * call (DynamoDB rejects the batch), so callers send at most one write per item per call.
 */
export async function writeIndex(
  ddb: DynamoDBClient,
  table: string,
  writes: Array<{ write: IndexWrite; keepPublished?: Published }>,
): Promise<void> {
  const requests = writes.map(({ write, keepPublished }) => writeRequest(write, keepPublished));
  const chunks: WriteRequest[][] = [];
  for (let i = 0; i < requests.length; i += 25) chunks.push(requests.slice(i, i + 25));
  // A bounded number of calls in flight per commit: firing all of a pack's calls at once queued them
  // behind the socket pool until connections timed out.
  await mapLimit(chunks, WRITE_CALLS_IN_FLIGHT, (chunk) =>
    drainWithBackoff(
      chunk,
      async (pending) => {
        const res = await ddb.send(new BatchWriteItemCommand({ RequestItems: { [table]: pending } }));
        return res.UnprocessedItems?.[table] ?? [];
      },
      `BatchWriteItem to ${table}`,
    ),
  );
}

const WRITE_CALLS_IN_FLIGHT = 8;

/**
 * Records the mtime a restored file really got on disk (the host cannot always set nanoseconds), so the
 * next sync sees no change; only while `version` is still the desired one.
 */
export async function setDesiredMtime(ddb: DynamoDBClient, table: string, key: string, version: string, mtime: string): Promise<boolean> {
  return conditionally(
    ddb.send(
      new UpdateItemCommand({
        TableName: table,
        Key: fileKey(key),
        UpdateExpression: "SET mtime = :m",
        ConditionExpression: "v = :v AND op = :put",
        ExpressionAttributeValues: { ":m": S(mtime), ":v": S(version), ":put": S("put") },
      }),
    ),
  );
}

// ---- apply handler writes ----

/** Records `version` as published, unless the desired version moved on meanwhile (returns false). */
export async function markPublished(
  ddb: DynamoDBClient,
  table: string,
  key: string,
  published: Published,
): Promise<boolean> {
  return conditionally(
    ddb.send(
      new UpdateItemCommand({
        TableName: table,
        Key: fileKey(key),
        UpdateExpression: "SET pv = :v, pat = :at, prun = :run, pcp = :cp",
        ConditionExpression: "v = :v AND op = :put",
        ExpressionAttributeValues: {
          ":v": S(published.version),
          ":at": S(published.at),
          ":run": S(published.run),
          ":cp": { L: published.copies.map(S) },
          ":put": S("put"),
        },
      }),
    ),
  );
}

/** Removes the tombstone of an applied delete, unless the desired state moved on (returns false). */
export async function removeTombstone(
  ddb: DynamoDBClient,
  table: string,
  key: string,
  version: string,
): Promise<boolean> {
  return conditionally(
    ddb.send(
      new DeleteItemCommand({
        TableName: table,
        Key: fileKey(key),
        ConditionExpression: "v = :v AND op = :delete",
        ExpressionAttributeValues: { ":v": S(version), ":delete": S("delete") },
      }),
    ),
  );
}

// ---- runs ----
//
// A run's record lives under pk "runs". While a run of the agent still needs attention — it has not
// recorded the end of its sending, or its PostSync has not been started — a marker under pk "open" names
// it, so the next run finds it with one small Query instead of reading every run ever made.

export type RunStatus = "running" | "sent" | "interrupted" | "failed" | "abandoned";

export interface RunRecord {
  runId: string;
  status: RunStatus;
  prefix: string;
  started: string;
  finished?: string;
  sent: number;
  messages: number;
  /** Pages of changed keys in the version store (runs/<runId>/changes/), for PostSync. */
  changePages: number;
  /** Planned work by reason, for people reading the record. */
  counts: Record<string, number>;
  /** The PostSync execution started for this run. */
  postSyncExecutionArn?: string;
}

export interface RunProgress {
  applied: number;
  published: number;
  deleted: number;
  superseded: number;
  /** Rewrite copies not written or deleted because a real file holds their key. */
  conflicts: number;
  messages: number;
}

const runKey = (runId: string): Item => ({ pk: S("runs"), sk: S(runId) });
const openKey = (runId: string): Item => ({ pk: S("open"), sk: S(runId) });

function runItem(run: RunRecord): Item {
  const item: Item = {
    ...runKey(run.runId),
    status: S(run.status),
    prefix: S(run.prefix),
    started: S(run.started),
    sent: N(run.sent),
    messages: N(run.messages),
    changePages: N(run.changePages),
    counts: { M: Object.fromEntries(Object.entries(run.counts).map(([k, v]) => [k, N(v)])) },
  };
  if (run.finished) item.finished = S(run.finished);
  if (run.postSyncExecutionArn) item.psx = S(run.postSyncExecutionArn);
  return item;
}

function runFromItem(item: Item): RunRecord {
  const run: RunRecord = {
    runId: item.sk?.S ?? "",
    status: (item.status?.S ?? "running") as RunStatus,
    prefix: item.prefix?.S ?? "",
    started: item.started?.S ?? "",
    sent: Number(item.sent?.N ?? "0"),
    messages: Number(item.messages?.N ?? "0"),
    changePages: Number(item.changePages?.N ?? "0"),
    counts: Object.fromEntries(Object.entries(item.counts?.M ?? {}).map(([k, v]) => [k, Number(v.N ?? "0")])),
  };
  if (item.finished?.S) run.finished = item.finished.S;
  if (item.psx?.S) run.postSyncExecutionArn = item.psx.S;
  return run;
}

export async function putRun(ddb: DynamoDBClient, table: string, run: RunRecord): Promise<void> {
  await ddb.send(new PutItemCommand({ TableName: table, Item: runItem(run) }));
}

export async function getRun(ddb: DynamoDBClient, table: string, runId: string): Promise<RunRecord | undefined> {
  const res = await ddb.send(new GetItemCommand({ TableName: table, Key: runKey(runId), ConsistentRead: true }));
  return res.Item ? runFromItem(res.Item) : undefined;
}

/** Marks a run as needing attention until closeRun: written before the run writes anything else. */
export async function openRun(ddb: DynamoDBClient, table: string, runId: string, prefix: string): Promise<void> {
  await ddb.send(new PutItemCommand({ TableName: table, Item: { ...openKey(runId), prefix: S(prefix) } }));
}

/** Removes a settled run's marker (BatchWriteItem: the agent's only way to remove an item). */
export async function closeRun(ddb: DynamoDBClient, table: string, runId: string): Promise<void> {
  await drainWithBackoff(
    [{ DeleteRequest: { Key: openKey(runId) } }] as WriteRequest[],
    async (pending) => {
      const res = await ddb.send(new BatchWriteItemCommand({ RequestItems: { [table]: pending } }));
      return res.UnprocessedItems?.[table] ?? [];
    },
    `BatchWriteItem to ${table}`,
  );
}

/**
 * The runs of a prefix still open: not finished sending, or PostSync not started. A marker whose run
 * record is missing (the run died between the two writes) is returned as a running run with no record.
 */
export async function listOpenRuns(ddb: DynamoDBClient, table: string, prefix: string): Promise<RunRecord[]> {
  const ids: string[] = [];
  for await (const items of queryPages(ddb, {
    TableName: table,
    KeyConditionExpression: "pk = :pk",
    FilterExpression: "prefix = :prefix",
    ExpressionAttributeValues: { ":pk": S("open"), ":prefix": S(prefix) },
    ConsistentRead: true,
  })) {
    for (const item of items) ids.push(item.sk?.S ?? "");
  }
  const runs = await Promise.all(ids.map((runId) => getRun(ddb, table, runId)));
  return runs.map(
    (run, i) => run ?? { runId: ids[i]!, status: "running", prefix, started: "", sent: 0, messages: 0, changePages: 0, counts: {} },
  );
}

/**
 * Adds what one batch sent to the run's record as it goes, so a run that dies mid-way leaves counts that
 * PostSync can wait on (never more than was sent: the add follows SQS's acceptance).
 */
export async function addRunSent(
  ddb: DynamoDBClient,
  table: string,
  runId: string,
  counts: { entries: number; messages: number },
): Promise<void> {
  await ddb.send(
    new UpdateItemCommand({
      TableName: table,
      Key: runKey(runId),
      UpdateExpression: "ADD sent :e, messages :m",
      ExpressionAttributeValues: { ":e": N(counts.entries), ":m": N(counts.messages) },
    }),
  );
}

/** Raises the run's page count to cover page `page` (pages are written concurrently, in any order). */
export async function recordChangePage(ddb: DynamoDBClient, table: string, runId: string, page: number): Promise<void> {
  await conditionally(
    ddb.send(
      new UpdateItemCommand({
        TableName: table,
        Key: runKey(runId),
        UpdateExpression: "SET changePages = :n",
        ConditionExpression: "attribute_not_exists(changePages) OR changePages < :n",
        ExpressionAttributeValues: { ":n": N(page + 1) },
      }),
    ),
  );
}

/** Records the end of a run's sending (or that a later run found it dead): its counts stay as added. */
export async function finishRun(
  ddb: DynamoDBClient,
  table: string,
  runId: string,
  status: "sent" | "interrupted",
  finished: string,
): Promise<void> {
  await ddb.send(
    new UpdateItemCommand({
      TableName: table,
      Key: runKey(runId),
      UpdateExpression: "SET #status = :status, finished = :finished",
      ExpressionAttributeNames: { "#status": "status" },
      ExpressionAttributeValues: { ":status": S(status), ":finished": S(finished) },
    }),
  );
}

export async function setPostSyncStarted(ddb: DynamoDBClient, table: string, runId: string, executionArn: string): Promise<void> {
  await ddb.send(
    new UpdateItemCommand({
      TableName: table,
      Key: runKey(runId),
      UpdateExpression: "SET psx = :arn",
      ExpressionAttributeValues: { ":arn": S(executionArn) },
    }),
  );
}

export async function setRunStatus(
  ddb: DynamoDBClient,
  table: string,
  runId: string,
  status: RunStatus,
): Promise<void> {
  await ddb.send(
    new UpdateItemCommand({
      TableName: table,
      Key: runKey(runId),
      UpdateExpression: "SET #status = :status",
      ExpressionAttributeNames: { "#status": "status" },
      ExpressionAttributeValues: { ":status": S(status) },
    }),
  );
}

/**
 * Moves a desired record to the run re-sending it, so its resend delay counts from this sending; only
 * while `version` is still the desired one.
 */
export async function setDesiredRun(ddb: DynamoDBClient, table: string, key: string, version: string, run: string): Promise<boolean> {
  return conditionally(
    ddb.send(
      new UpdateItemCommand({
        TableName: table,
        Key: fileKey(key),
        UpdateExpression: "SET #run = :run",
        ConditionExpression: "v = :v",
        ExpressionAttributeNames: { "#run": "run" },
        ExpressionAttributeValues: { ":run": S(run), ":v": S(version) },
      }),
    ),
  );
}

// ---- agent heartbeat ----

/** The last run of the agent for one site prefix that finished, for the watchdog and for status. */
export interface Heartbeat {
  prefix: string;
  runId: string;
  finished: string;
  host: string;
}

export async function putHeartbeat(ddb: DynamoDBClient, table: string, beat: Heartbeat): Promise<void> {
  await ddb.send(
    new PutItemCommand({
      TableName: table,
      Item: { pk: S("agent"), sk: S(`${beat.prefix}/`), runId: S(beat.runId), finished: S(beat.finished), host: S(beat.host) },
    }),
  );
}

export async function listHeartbeats(ddb: DynamoDBClient, table: string): Promise<Heartbeat[]> {
  const beats: Heartbeat[] = [];
  for await (const items of queryPages(ddb, {
    TableName: table,
    KeyConditionExpression: "pk = :pk",
    ExpressionAttributeValues: { ":pk": S("agent") },
    ConsistentRead: true,
  })) {
    for (const item of items) {
      beats.push({
        prefix: (item.sk?.S ?? "/").slice(0, -1),
        runId: item.runId?.S ?? "",
        finished: item.finished?.S ?? "",
        host: item.host?.S ?? "",
      });
    }
  }
  return beats;
}

/**
 * Counts one manifest message as applied, exactly once: the add and the record of its seq are one
 * conditional update, so a redelivered message is not counted twice.
 */
export async function countMessageApplied(
  ddb: DynamoDBClient,
  table: string,
  runId: string,
  seq: number,
  counts: Omit<RunProgress, "messages">,
): Promise<boolean> {
  const shard = `s${String(seq % RUN_COUNTER_SHARDS).padStart(2, "0")}`;
  return conditionally(
    ddb.send(
      new UpdateItemCommand({
        TableName: table,
        Key: { pk: S(`r#${runId}`), sk: S(shard) },
        UpdateExpression: "ADD applied :a, published :p, deleted :d, superseded :s, conflicts :c, seqs :seq",
        ConditionExpression: "attribute_not_exists(seqs) OR NOT contains(seqs, :n)",
        ExpressionAttributeValues: {
          ":a": N(counts.applied),
          ":p": N(counts.published),
          ":d": N(counts.deleted),
          ":s": N(counts.superseded),
          ":c": N(counts.conflicts),
          ":seq": { NS: [String(seq)] },
          ":n": N(seq),
        },
      }),
    ),
  );
}

export async function getRunProgress(ddb: DynamoDBClient, table: string, runId: string): Promise<RunProgress> {
  const progress: RunProgress = { applied: 0, published: 0, deleted: 0, superseded: 0, conflicts: 0, messages: 0 };
  for await (const items of queryPages(ddb, {
    TableName: table,
    KeyConditionExpression: "pk = :pk",
    ExpressionAttributeValues: { ":pk": S(`r#${runId}`) },
    ConsistentRead: true,
  })) {
    for (const item of items) {
      progress.applied += Number(item.applied?.N ?? "0");
      progress.published += Number(item.published?.N ?? "0");
      progress.deleted += Number(item.deleted?.N ?? "0");
      progress.superseded += Number(item.superseded?.N ?? "0");
      progress.conflicts += Number(item.conflicts?.N ?? "0");
      progress.messages += item.seqs?.NS?.length ?? 0;
    }
  }
  return progress;
}
