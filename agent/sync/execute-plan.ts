// Executes a plan: stage bytes, write the desired state into the index, send manifests. For every entry
// the order is fixed — bytes staged, then index, then SQS — so a manifest never names bytes that are not
// there, and an entry the index holds but SQS never got is found and re-sent by the next run.
import type { S3Client } from "@aws-sdk/client-s3";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { SQSClient } from "@aws-sdk/client-sqs";
import { addRunSent, recordChangePage, setDesiredRun, writeIndex, type IndexWrite } from "../../aws/index-table.ts";
import { contentTypeFor, type ContentTypeRules } from "../../core/content-type.ts";
import type { Desired, DesiredPut, Published } from "../../core/index-record.ts";
import { splitKey } from "../../core/keys.ts";
import type { ManifestEntry } from "../../core/manifest.ts";
import { ChangeRecorder } from "./change-recorder.ts";
import { Limit, TaskGroup } from "../../core/concurrency.ts";
import type { Logger } from "../../core/logger.ts";
import { ManifestSender } from "../../aws/manifest-sender.ts";
import { readPlan, type PlanOp } from "./plan.ts";
import { objectKey, packKey, PackBuilder, readStable, stageLargeFile, uploadPack, type ReadFailure } from "./stage.ts";

export interface PublishOptions {
  runId: string;
  prefix: string;
  versionBucket: string;
  table: string;
  queueUrl: string;
  contentTypes: ContentTypeRules;
  concurrency: { files: number; uploads: number };
  pack: { maxBytes: number; maxFiles: number; largeFileBytes: number };
}

export interface PublishStats {
  staged: number;
  stagedBytes: number;
  packs: number;
  largeObjects: number;
  deletes: number;
  resent: number;
  entriesSent: number;
  messagesSent: number;
  /** Pages of changed keys written for PostSync. */
  changePages: number;
  left: Array<{ key: string; reason: string }>;
}

type PutOp = Extract<PlanOp, { op: "put" }>;
type Staged = { op: PutOp; desired: DesiredPut };

const BATCH_ENTRIES = 100;

export async function executePlan(
  clients: { s3: S3Client; dynamodb: DynamoDBClient; sqs: SQSClient },
  planPath: string,
  options: PublishOptions,
  logger: Logger,
  onProgress: (stats: PublishStats) => void = () => {},
): Promise<PublishStats> {
  const stats: PublishStats = {
    staged: 0, stagedBytes: 0, packs: 0, largeObjects: 0, deletes: 0, resent: 0, entriesSent: 0, messagesSent: 0, changePages: 0, left: [],
  };
  const sender = new ManifestSender(clients.sqs, options.queueUrl, options.runId, options.prefix);
  const changes = new ChangeRecorder(clients.s3, options.versionBucket, options.runId, (page) =>
    recordChangePage(clients.dynamodb, options.table, options.runId, page),
  );
  const reads = new Limit(options.concurrency.files);
  const uploads = new Limit(options.concurrency.uploads);
  const indexUpdates = new Limit(16);
  const tasks = new TaskGroup();
  const now = () => new Date().toISOString();

  // Directories given a history item in this run; each is registered once so restore can find it.
  const historyDirs = new Set<string>();
  // Stage → index → send, for a group of entries whose bytes are in place.
  const commit = async (
    writes: Array<{ key: string; desired: Desired; published?: Published | undefined }>,
  ): Promise<void> => {
    const at = now();
    const indexWrites: Array<{ write: IndexWrite; keepPublished?: Published }> = [];
    for (const w of writes) {
      indexWrites.push({ write: { kind: "desired", key: w.key, desired: w.desired }, ...(w.published ? { keepPublished: w.published } : {}) });
      indexWrites.push({ write: { kind: "history", key: w.key, desired: w.desired, at } });
      const { dir } = splitKey(w.key);
      if (!historyDirs.has(dir)) {
        historyDirs.add(dir);
        indexWrites.push({ write: { kind: "historyDir", dir } });
      }
    }
    await writeIndex(clients.dynamodb, options.table, indexWrites);
    await send(writes.map((w) => toEntry(w.key, w.desired)));
  };
  // Index first, then the change pages, then SQS, then the run's counts: whatever a crash interrupts,
  // the next run finds the entries in the index and the PostSync it starts for this run covers them.
  const send = async (entries: ManifestEntry[]): Promise<void> => {
    await changes.record(entries.map((e) => ({ op: e.op, key: e.key })));
    const sent = await sender.send(entries);
    await addRunSent(clients.dynamodb, options.table, options.runId, sent);
    stats.entriesSent = sender.entriesSent;
    stats.messagesSent = sender.messagesSent;
    onProgress(stats);
  };

  let packNumber = 0;
  let pack = new PackBuilder<Staged>(packKey(options.runId, packNumber++));
  const flushPack = () => {
    const full = pack;
    pack = new PackBuilder<Staged>(packKey(options.runId, packNumber++));
    if (full.files.length === 0) return;
    tasks.add(
      uploads.run(async () => {
        await uploadPack(clients.s3, options.versionBucket, full);
        stats.packs += 1;
        await commit(full.files.map((f) => ({ key: f.item.op.key, desired: { ...f.item.desired, source: { key: full.key, offset: f.offset, length: f.length } }, published: f.item.op.published })));
      }),
    );
  };

  const putDesired = (op: PutOp, size: number, mtime: string, source: DesiredPut["source"]): DesiredPut => ({
    op: "put",
    version: options.runId,
    run: options.runId,
    size,
    mtime,
    contentType: contentTypeFor(op.key, options.contentTypes),
    source,
  });

  const leave = (key: string, failure: ReadFailure) => {
    stats.left.push({ key, reason: `${failure.reason}: ${failure.detail}` });
    logger.warn("file left for the next run", { key, reason: failure.reason, detail: failure.detail });
  };

  const stageLarge = (op: PutOp) =>
    tasks.add(
      uploads.run(async () => {
        const key = objectKey(options.runId, op.key);
        const result = await stageLargeFile(clients.s3, options.versionBucket, key, Buffer.from(op.path, "base64"));
        if (!result.ok) return leave(op.key, result);
        stats.staged += 1;
        stats.largeObjects += 1;
        stats.stagedBytes += result.size;
        await commit([{ key: op.key, desired: putDesired(op, result.size, result.mtime, { key }), published: op.published }]);
      }),
    );

  const stageSmall = (op: PutOp) =>
    tasks.add(
      reads.run(async () => {
        const result = await readStable(Buffer.from(op.path, "base64"), options.pack.largeFileBytes);
        if (!result.ok) {
          if (result.reason === "grew") return stageLarge(op);
          return leave(op.key, result);
        }
        stats.staged += 1;
        stats.stagedBytes += result.size;
        const desired = putDesired(op, result.size, result.mtime, { key: pack.key, offset: 0, length: result.size });
        pack.add({ op, desired }, result.bytes);
        if (pack.files.length >= options.pack.maxFiles || pack.bytes >= options.pack.maxBytes - options.pack.largeFileBytes) {
          flushPack();
        }
      }),
    );

  let deletes: Array<Extract<PlanOp, { op: "delete" }>> = [];
  const flushDeletes = () => {
    const batch = deletes;
    deletes = [];
    if (batch.length === 0) return;
    tasks.add(
      commit(batch.map((d) => ({ key: d.key, desired: { op: "delete", version: options.runId, run: options.runId }, published: d.published }))).then(
        () => void (stats.deletes += batch.length),
      ),
    );
  };

  let resends: Array<Extract<PlanOp, { op: "resend" }>> = [];
  const flushResends = () => {
    const batch = resends;
    resends = [];
    if (batch.length === 0) return;
    tasks.add(
      (async () => {
        // The record moves to this run first, so its resend delay counts from now; a record whose version
        // moved on meanwhile is not re-sent (the run that wrote the new version sends that).
        const moved = await Promise.all(
          batch.map((r) => indexUpdates.run(() => setDesiredRun(clients.dynamodb, options.table, r.key, r.desired.version, options.runId))),
        );
        const still = batch.filter((_, i) => moved[i]);
        await send(still.map((r) => toEntry(r.key, r.desired)));
        stats.resent += still.length;
      })(),
    );
  };

  let dirs: Array<{ write: IndexWrite }> = [];
  const flushDirs = () => {
    const batch = dirs;
    dirs = [];
    if (batch.length > 0) tasks.add(writeIndex(clients.dynamodb, options.table, batch));
  };
  // Removed directories' markers are written last, once every entry beneath them is sent: until then
  // the next run must still find the directory to re-send what a crash left unsent.
  const removedDirs: Array<{ write: IndexWrite }> = [];

  try {
    for await (const op of readPlan(planPath)) {
      tasks.check();
      // Bound the work queued ahead of the network, so memory stays flat on huge plans.
      await tasks.waitBelow(options.concurrency.files * 4);
      switch (op.op) {
        case "put":
          if (op.size >= options.pack.largeFileBytes) stageLarge(op);
          else stageSmall(op);
          break;
        case "delete":
          deletes.push(op);
          if (deletes.length >= BATCH_ENTRIES) flushDeletes();
          break;
        case "resend":
          resends.push(op);
          if (resends.length >= BATCH_ENTRIES) flushResends();
          break;
        case "mkdir":
          dirs.push({ write: { kind: op.op, dir: op.dir, name: op.name } });
          if (dirs.length >= BATCH_ENTRIES) flushDirs();
          break;
        case "rmdir":
          removedDirs.push({ write: { kind: op.op, dir: op.dir, name: op.name } });
          break;
      }
    }
    // Reads still in flight add to the current pack: wait for them before the last flush.
    await tasks.wait();
    flushPack();
    flushDeletes();
    flushResends();
    flushDirs();
    await tasks.wait();
  } finally {
    // Never return — or let the caller release the lock — while staging or sending still runs.
    await tasks.waitBelow(0);
  }
  await writeIndex(clients.dynamodb, options.table, removedDirs);
  stats.entriesSent = sender.entriesSent;
  stats.messagesSent = sender.messagesSent;
  stats.changePages = changes.pages;
  return stats;
}

function toEntry(key: string, desired: Desired): ManifestEntry {
  return desired.op === "put"
    ? {
        op: "put",
        key,
        version: desired.version,
        size: desired.size,
        mtime: desired.mtime,
        contentType: desired.contentType,
        source: desired.source,
      }
    : { op: "delete", key, version: desired.version };
}
