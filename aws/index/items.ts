// The index's item layout: its keys, DynamoDB's limits on them, and the codecs between items and the
// records the logic works with. The only file that knows attribute names: files.ts, history.ts and runs.ts
// send what it builds. One table, string keys pk/sk:
//
//   file        pk "d#<dir>"      sk "<name>"            t "f", desired (op v size mtime ct src run, and
//                                                         ctime ino sha when known), published (pv pat
//                                                         prun pcp); a listing: gen, hash
//   directory   pk "d#<dir>"      sk "<name>/"           t "d": a subdirectory exists (so deleted
//                                                         directories are found without a bucket listing)
//   history     pk "h#<dir>"      sk "<name>/<version>"  every staged version (desired, at), for restore
//   history dir pk "hdirs"        sk "<dir>/"            every directory that has history, so a restore
//                                                         finds directories that no longer exist
//   run         pk "runs"         sk "<runId>"           status, sent, messages, changePages, times, counts
//   open run    pk "open"         sk "<runId>"           prefix: a run not yet settled
//   heartbeat   pk "agent"        sk "<prefix>/"         the last finished run: runId, finished, host
//   run counter pk "r#<runId>"    sk "s<NN>"             applied counts and the set of counted message seqs,
//                                                         sharded so no item nears 400 KB on big runs
//   generation  pk "gens"         sk "<dir>/"            g: advanced by every writer of the directory's file
//                                                         records (the apply handler and PostSync excepted)
//                                                         as it begins and as it ends; w: writers mid-write,
//                                                         ws: when the last began (aws/index/generations.ts)
//   epoch       pk "epoch"        sk "index"             id: made once per table, so a host's replica of the
//                                                         index never outlives the table it copied
//
// Sort keys compare as UTF-8 bytes, the same order the agent sorts its directory listings in ("/" sorts
// the directory marker "a/" between "a.txt" and "a0", consistently on both sides).
import type { AttributeValue, WriteRequest } from "@aws-sdk/client-dynamodb";
import { BadInputError, PermanentError } from "../../core/errors.ts";
import type { BytesLocation, Desired, IndexFile, Published } from "../../core/index-record.ts";
import { joinKey, splitKey } from "../../core/keys.ts";
import type { DirectoryEntry, IndexWrite, ListingRecord } from "./records.ts";
import type { HistoryVersion } from "./records.ts";
import type { Heartbeat, RunProgress, RunRecord, RunStatus } from "./records.ts";
import type { DirectoryGeneration } from "./records.ts";

export type Item = Record<string, AttributeValue>;

/** The parts of a Query input that say what it reads. */
export interface QuerySpec {
  KeyConditionExpression: string;
  FilterExpression?: string;
  ExpressionAttributeValues: Item;
}

/** The parts of an UpdateItem (or a conditional DeleteItem, without UpdateExpression) input. */
export interface UpdateSpec {
  Key: Item;
  UpdateExpression: string;
  ConditionExpression?: string;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues: Item;
}

export interface ConditionalDelete {
  Key: Item;
  ConditionExpression: string;
  ExpressionAttributeValues: Item;
}

export interface ConditionalPut {
  Item: Item;
  ConditionExpression: string;
  ExpressionAttributeValues: Item;
}

const S = (value: string): AttributeValue => ({ S: value });
const N = (value: number): AttributeValue => ({ N: String(value) });

// ---- keys ----

// DynamoDB's key limits: 2,048 bytes of partition key, 1,024 of sort key. The local emulator does not
// enforce them, so the layout does: a key over the limit fails here, naming the key, instead of as a
// ValidationException that only AWS would raise.
const MAX_PARTITION_KEY_BYTES = 2048;
const MAX_SORT_KEY_BYTES = 1024;

const RUN_COUNTER_SHARDS = 16;

const filePk = (dir: string): string => checkedPk(`d#${dir}`);
const historyPk = (dir: string): string => checkedPk(`h#${dir}`);

function checkedPk(pk: string): string {
  const what = `the directory ${JSON.stringify(pk.slice(2, 200))}…`;
  return withinLimit(pk, MAX_PARTITION_KEY_BYTES, what, "partition", "directory path");
}

function checkedSk(sk: string): string {
  return withinLimit(sk, MAX_SORT_KEY_BYTES, `the name ${JSON.stringify(sk.slice(0, 200))}…`, "sort", "file name");
}

function withinLimit(value: string, limit: number, what: string, part: string, fix: string): string {
  const bytes = Buffer.byteLength(value, "utf8");
  if (bytes > limit) {
    throw new BadInputError(
      `${what} is ${bytes} bytes long as an index ${part} key; DynamoDB allows ${limit}: shorten the ${fix}`,
    );
  }
  return value;
}

/** The primary key of a file's item. */
export function fileKey(key: string): Item {
  const { dir, name } = splitKey(key);
  return { pk: S(filePk(dir)), sk: S(checkedSk(name)) };
}

const dirMarkerKey = (dir: string, name: string): Item => ({ pk: S(filePk(dir)), sk: S(checkedSk(`${name}/`)) });
export const runKey = (runId: string): Item => ({ pk: S("runs"), sk: S(runId) });
const openKey = (runId: string): Item => ({ pk: S("open"), sk: S(runId) });

// ---- files and directories ----

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
    if (desired.ctime !== undefined) item.ctime = S(desired.ctime);
    if (desired.ino !== undefined) item.ino = S(desired.ino);
    if (desired.sha256 !== undefined) item.sha = S(desired.sha256);
  }
  return item;
}

function publishedAttributes(published: Published): Item {
  return {
    pv: S(published.version),
    pat: S(published.at),
    prun: S(published.run),
    pcp: { L: published.copies.map(S) },
  };
}

/** The file record of a file's item. */
export function fileRecord(item: Item): IndexFile {
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
          ...(item.ctime?.S !== undefined ? { ctime: item.ctime.S } : {}),
          ...(item.ino?.S !== undefined ? { ino: item.ino.S } : {}),
          ...(item.sha?.S !== undefined ? { sha256: item.sha.S } : {}),
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

export function directoryEntry(item: Item): DirectoryEntry {
  const sk = item.sk?.S ?? "";
  if (item.t?.S === "d") return { kind: "dir", name: sk.slice(0, -1) };
  const file = fileRecord(item);
  return file.generated
    ? { kind: "file", name: sk, file, listingHash: item.hash?.S ?? "" }
    : { kind: "file", name: sk, file };
}

export const directoryQuery = (dir: string): QuerySpec => ({
  KeyConditionExpression: "pk = :pk",
  ExpressionAttributeValues: { ":pk": S(filePk(dir)) },
});

function listingItem(listing: ListingRecord): Item {
  return {
    ...fileKey(listing.key),
    t: S("f"),
    gen: { BOOL: true },
    // PostSync compares its rendering with this hash; without one, its first listing replaces the page.
    ...(listing.hash !== undefined ? { hash: S(listing.hash) } : {}),
    ...desiredAttributes(listing.desired),
    ...publishedAttributes(listing.published),
  };
}

/** A listing PostSync generated, written unless a real file holds its key (a real page always wins). */
export function listingPut(listing: ListingRecord): ConditionalPut {
  return {
    Item: listingItem(listing),
    ConditionExpression: "attribute_not_exists(pk) OR gen = :true",
    ExpressionAttributeValues: { ":true": { BOOL: true } },
  };
}

/** Removes a generated listing, never a real file that took its key. */
export function listingDelete(key: string): ConditionalDelete {
  return {
    Key: fileKey(key),
    ConditionExpression: "gen = :true",
    ExpressionAttributeValues: { ":true": { BOOL: true } },
  };
}

/**
 * Desired state is written with PutItem, replacing the whole item: a new desired version forgets the
 * previous publication on purpose, except that the copies it made must still be known so the next apply
 * can remove stale ones. The agent passes them through `keepPublished`.
 */
export function writeRequest(write: IndexWrite, keepPublished?: Published): WriteRequest {
  switch (write.kind) {
    case "desired": {
      const item: Item = { ...fileKey(write.key), t: S("f"), ...desiredAttributes(write.desired) };
      if (keepPublished) Object.assign(item, publishedAttributes(keepPublished));
      return { PutRequest: { Item: item } };
    }
    case "history":
      return { PutRequest: { Item: historyItem(write.key, write.desired, write.at) } };
    case "historyDir":
      // The trailing slash keeps the root ("") a valid key and makes begins_with match whole directories.
      return { PutRequest: { Item: { pk: S("hdirs"), sk: S(`${write.dir}/`) } } };
    case "mkdir":
      return { PutRequest: { Item: { ...dirMarkerKey(write.dir, write.name), t: S("d") } } };
    case "rmdir":
      return { DeleteRequest: { Key: dirMarkerKey(write.dir, write.name) } };
    case "generated":
      return { PutRequest: { Item: listingItem(write) } };
  }
}

/**
 * The file's status as the agent last saw it (mtime, and ctime and inode when known), recorded on the desired
 * put it already is — no new version; only while `version` is still the desired put.
 */
export function desiredStatUpdate(
  key: string,
  version: string,
  stat: { mtime: string; ctime?: string; ino?: string },
): UpdateSpec {
  const set = ["mtime = :m"];
  const values: Item = { ":m": S(stat.mtime), ":v": S(version), ":put": S("put") };
  if (stat.ctime !== undefined) {
    set.push("ctime = :c");
    values[":c"] = S(stat.ctime);
  }
  if (stat.ino !== undefined) {
    set.push("ino = :i");
    values[":i"] = S(stat.ino);
  }
  return {
    Key: fileKey(key),
    UpdateExpression: `SET ${set.join(", ")}`,
    ConditionExpression: "v = :v AND op = :put",
    ExpressionAttributeValues: values,
  };
}

/** Only while `version` is still the desired one. */
export const desiredRunUpdate = (key: string, version: string, run: string): UpdateSpec => ({
  Key: fileKey(key),
  UpdateExpression: "SET #run = :run",
  ConditionExpression: "v = :v",
  ExpressionAttributeNames: { "#run": "run" },
  ExpressionAttributeValues: { ":run": S(run), ":v": S(version) },
});

/** Only while the published version is still the desired put. */
export const publishedUpdate = (key: string, published: Published): UpdateSpec => ({
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
});

/** Only while `version` is still the desired delete. */
export const tombstoneDelete = (key: string, version: string): ConditionalDelete => ({
  Key: fileKey(key),
  ConditionExpression: "v = :v AND op = :delete",
  ExpressionAttributeValues: { ":v": S(version), ":delete": S("delete") },
});

// ---- history ----

function historyItem(key: string, desired: Desired, at: string): Item {
  const { dir, name } = splitKey(key);
  return {
    pk: S(historyPk(dir)),
    sk: S(checkedSk(`${name}/${desired.version}`)),
    at: S(at),
    ...desiredAttributes(desired),
  };
}

export function historyVersion(dir: string, item: Item): HistoryVersion {
  const sk = item.sk?.S ?? "";
  const name = sk.slice(0, sk.lastIndexOf("/"));
  const file = fileRecord({ ...item, pk: S(filePk(dir)), sk: S(name) });
  return { key: file.key, desired: file.desired, at: item.at?.S ?? "" };
}

export const historyQuery = (dir: string): QuerySpec => ({
  KeyConditionExpression: "pk = :pk",
  ExpressionAttributeValues: { ":pk": S(historyPk(dir)) },
});

export const historyDirsQuery = (dir: string): QuerySpec =>
  dir === ""
    ? { KeyConditionExpression: "pk = :pk", ExpressionAttributeValues: { ":pk": S("hdirs") } }
    : {
        KeyConditionExpression: "pk = :pk AND begins_with(sk, :dir)",
        ExpressionAttributeValues: { ":pk": S("hdirs"), ":dir": S(`${dir}/`) },
      };

export const historyDir = (item: Item): string => (item.sk?.S ?? "/").slice(0, -1);

// ---- runs ----

export function runItem(run: RunRecord): Item {
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

export function runRecord(item: Item): RunRecord {
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

export const openItem = (runId: string, prefix: string): Item => ({ ...openKey(runId), prefix: S(prefix) });
export const openDelete = (runId: string): WriteRequest => ({ DeleteRequest: { Key: openKey(runId) } });
export const openRunId = (item: Item): string => item.sk?.S ?? "";

export const openRunPrefix = (item: Item): string => item.prefix?.S ?? "";

/** Every run record, in run id order: newest first when read backwards. */
export const runsQuery = (): QuerySpec => ({
  KeyConditionExpression: "pk = :pk",
  ExpressionAttributeValues: { ":pk": S("runs") },
});

/** The open markers of every prefix. */
export const allOpenRunsQuery = (): QuerySpec => ({
  KeyConditionExpression: "pk = :pk",
  ExpressionAttributeValues: { ":pk": S("open") },
});

export const openRunsQuery = (prefix: string): QuerySpec => ({
  KeyConditionExpression: "pk = :pk",
  FilterExpression: "prefix = :prefix",
  ExpressionAttributeValues: { ":pk": S("open"), ":prefix": S(prefix) },
});

/**
 * Raises the run's sent counts to totals the sender had seen SQS accept, never lowers them. A SET of a
 * total, not an ADD: a retried update whose first attempt landed (its answer lost) must not count twice.
 */
export const runSentUpdate = (runId: string, totals: { entries: number; messages: number }): UpdateSpec => ({
  Key: runKey(runId),
  UpdateExpression: "SET sent = :e, messages = :m",
  ConditionExpression: "attribute_not_exists(sent) OR sent < :e",
  ExpressionAttributeValues: { ":e": N(totals.entries), ":m": N(totals.messages) },
});

/** Raises the page count to cover `page`, never lowers it. */
export const changePagesUpdate = (runId: string, page: number): UpdateSpec => ({
  Key: runKey(runId),
  UpdateExpression: "SET changePages = :n",
  ConditionExpression: "attribute_not_exists(changePages) OR changePages < :n",
  ExpressionAttributeValues: { ":n": N(page + 1) },
});

export const runFinishedUpdate = (runId: string, status: RunStatus, finished: string): UpdateSpec => ({
  Key: runKey(runId),
  UpdateExpression: "SET #status = :status, finished = :finished",
  ExpressionAttributeNames: { "#status": "status" },
  ExpressionAttributeValues: { ":status": S(status), ":finished": S(finished) },
});

export const postSyncStartedUpdate = (runId: string, executionArn: string): UpdateSpec => ({
  Key: runKey(runId),
  UpdateExpression: "SET psx = :arn",
  ExpressionAttributeValues: { ":arn": S(executionArn) },
});

// ---- run counters ----

/** Adds one message's counts and records its seq, unless that seq was counted before. */
export function messageCountedUpdate(runId: string, seq: number, counts: Omit<RunProgress, "messages">): UpdateSpec {
  const shard = `s${String(seq % RUN_COUNTER_SHARDS).padStart(2, "0")}`;
  return {
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
  };
}

export const runCounterQuery = (runId: string): QuerySpec => ({
  KeyConditionExpression: "pk = :pk",
  ExpressionAttributeValues: { ":pk": S(`r#${runId}`) },
});

/** Adds one counter shard to `progress`. */
export function addCounter(progress: RunProgress, item: Item): void {
  progress.applied += Number(item.applied?.N ?? "0");
  progress.published += Number(item.published?.N ?? "0");
  progress.deleted += Number(item.deleted?.N ?? "0");
  progress.superseded += Number(item.superseded?.N ?? "0");
  progress.conflicts += Number(item.conflicts?.N ?? "0");
  progress.messages += item.seqs?.NS?.length ?? 0;
}

// ---- agent heartbeats ----

export const heartbeatItem = (beat: Heartbeat): Item => ({
  pk: S("agent"),
  sk: S(`${beat.prefix}/`),
  runId: S(beat.runId),
  finished: S(beat.finished),
  host: S(beat.host),
});

export const heartbeat = (item: Item): Heartbeat => ({
  prefix: (item.sk?.S ?? "/").slice(0, -1),
  runId: item.runId?.S ?? "",
  finished: item.finished?.S ?? "",
  host: item.host?.S ?? "",
});

export const heartbeatsQuery = (): QuerySpec => ({
  KeyConditionExpression: "pk = :pk",
  ExpressionAttributeValues: { ":pk": S("agent") },
});

// ---- directory generations and the table's epoch ----

const generationKey = (dir: string): Item => ({ pk: S("gens"), sk: S(checkedSk(`${dir}/`)) });

/** A writer begins writing a directory's file records: the generation advances, the writer is counted. */
export const generationBegin = (dir: string, at: string): UpdateSpec => ({
  Key: generationKey(dir),
  UpdateExpression: "ADD g :one, w :one SET ws = :at",
  ExpressionAttributeValues: { ":one": N(1), ":at": S(at) },
});

/** The writer has ended (done or failed): the generation advances again, the writer is no longer counted. */
export const generationEnd = (dir: string): UpdateSpec => ({
  Key: generationKey(dir),
  UpdateExpression: "ADD g :one, w :minus",
  ExpressionAttributeValues: { ":one": N(1), ":minus": N(-1) },
});

/** The generations of the directories of a site prefix ("" for every directory of the table). */
export const generationsQuery = (prefix: string): QuerySpec => {
  const dir = prefix.endsWith("/") ? prefix.slice(0, -1) : prefix;
  return dir === ""
    ? { KeyConditionExpression: "pk = :pk", ExpressionAttributeValues: { ":pk": S("gens") } }
    : {
        KeyConditionExpression: "pk = :pk AND begins_with(sk, :dir)",
        ExpressionAttributeValues: { ":pk": S("gens"), ":dir": S(`${dir}/`) },
      };
};

export function directoryGeneration(item: Item): DirectoryGeneration {
  const generation: DirectoryGeneration = {
    dir: (item.sk?.S ?? "/").slice(0, -1),
    generation: Number(item.g?.N ?? "0"),
    writers: Number(item.w?.N ?? "0"),
  };
  if (item.ws?.S) generation.writingSince = item.ws.S;
  return generation;
}

export const epochKey = (): Item => ({ pk: S("epoch"), sk: S("index") });

/** The table's epoch, written once: a second writer of the same id is a no-op, of another id refused. */
export const epochPut = (id: string, at: string): ConditionalPut => ({
  Item: { ...epochKey(), id: S(id), at: S(at) },
  ConditionExpression: "attribute_not_exists(pk) OR id = :id",
  ExpressionAttributeValues: { ":id": S(id) },
});

export const epochId = (item: Item): string | undefined => item.id?.S;
