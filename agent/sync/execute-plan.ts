// Executes a plan: stage bytes, write the desired state into the index, send manifests. For every entry
// the order is fixed — bytes staged, then index, then SQS — so a manifest never names bytes that are not
// there, and an entry the index holds but SQS never got is found and re-sent by the next run.
import type { S3Client } from "@aws-sdk/client-s3";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { SQSClient } from "@aws-sdk/client-sqs";
import { setDesiredRuns, setDesiredStats, writeIndex } from "../../aws/index/files.ts";
import type { IndexWrite } from "../../aws/index/records.ts";
import { addRunSent, recordChangePage } from "../../aws/index/runs.ts";
import { contentTypeFor, type ContentTypeRules } from "../../core/content-type.ts";
import type { Desired, DesiredPut, Published } from "../../core/index-record.ts";
import { splitKey } from "../../core/keys.ts";
import type { ManifestEntry } from "../../core/manifest.ts";
import type { AgentConfig } from "../config.ts";
import { ChangeRecorder } from "./change-recorder.ts";
import { Batcher, Limit, TaskGroup } from "../../core/concurrency.ts";
import type { Logger } from "../../core/logger.ts";
import { ManifestSender } from "../../aws/manifest-queue.ts";
import { readPlan, type PlanOp } from "./plan.ts";
import type { ReplicaRecorder } from "../replica/own-writes.ts";
import { objectKey, packKey, uploadPack } from "../../aws/version-store.ts";
import { isSettling, settleClock } from "../../core/change-detection.ts";
import {
  digestLargeFile,
  PackBuilder,
  readStable,
  stageLargeFile,
  type ReadFailure,
  type ReadStat,
  type SettlingCheck,
} from "./stage.ts";

export interface PublishOptions {
  runId: string;
  prefix: string;
  versionBucket: string;
  table: string;
  queueUrl: string;
  contentTypes: ContentTypeRules;
  concurrency: { files: number; uploads: number };
  pack: { maxBytes: number; maxFiles: number; largeFileBytes: number };
  /** Files found modified this recently when read are left for the next run; 0: off. */
  settleSeconds: number;
  /** The host's replica of the index (agent/replica/): told of each index write once DynamoDB took it. */
  replica?: ReplicaRecorder;
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
  /**
   * Puts whose bytes, read and digested, were the version already published or in flight (a re-upload of
   * the same bytes): only the new mtime, ctime and inode went into the index.
   */
  unchangedContent: number;
  /** Index-only records of the ctime and inode of files whose record had none. */
  recorded: number;
  /** Files found modified within the settle window when read; left for the next run. */
  settling: number;
  left: Array<{ key: string; reason: string }>;
}

type PutOp = Extract<PlanOp, { op: "put" }>;
type DeleteOp = Extract<PlanOp, { op: "delete" }>;
type ResendOp = Extract<PlanOp, { op: "resend" }>;
type RecordOp = Extract<PlanOp, { op: "record" }>;
type Staged = { op: PutOp; desired: DesiredPut };
type Commit = Array<{ key: string; desired: Desired; published?: Published | undefined }>;
type Clients = { s3: S3Client; dynamodb: DynamoDBClient; sqs: SQSClient };
type FileStat = { mtime: string; ctime: string; ino: string };
type StatRecord = { key: string; version: string; stat: FileStat };

const BATCH_ENTRIES = 100;
/** One directory's worth of files; a batch waits at most a few ms for more (the reads run side by side). */
const STAT_BATCH_FILES = 100;
const STAT_BATCH_DELAY_MS = 10;

/** The options of a run's plan execution, from the agent's configuration. */
export function planOptions(
  config: Pick<
    AgentConfig,
    "prefix" | "versionBucket" | "table" | "queueUrl" | "contentTypes" | "concurrency" | "pack" | "settleSeconds"
  >,
  runId: string,
): PublishOptions {
  return {
    runId,
    prefix: config.prefix,
    versionBucket: config.versionBucket,
    table: config.table,
    queueUrl: config.queueUrl,
    contentTypes: config.contentTypes,
    concurrency: { files: config.concurrency.files, uploads: config.concurrency.uploads },
    pack: config.pack,
    settleSeconds: config.settleSeconds,
  };
}

export async function executePlan(
  clients: Clients,
  planPath: string,
  options: PublishOptions,
  logger: Logger,
  onProgress: (stats: PublishStats) => void = () => {},
): Promise<PublishStats> {
  return new PlanExecution(clients, options, logger, onProgress).run(planPath);
}

/**
 * One execution of a plan. Operations are batched by kind (small files into packs, deletions, re-sends,
 * new directory markers) and every batch goes through the same commit: index, change page, manifest,
 * count. Background work is bounded, and the run never returns while any of it is still going.
 */
class PlanExecution {
  readonly stats: PublishStats = {
    staged: 0,
    stagedBytes: 0,
    packs: 0,
    largeObjects: 0,
    deletes: 0,
    resent: 0,
    entriesSent: 0,
    messagesSent: 0,
    changePages: 0,
    unchangedContent: 0,
    recorded: 0,
    settling: 0,
    left: [],
  };
  readonly #clients: Clients;
  readonly #options: PublishOptions;
  readonly #logger: Logger;
  readonly #onProgress: (stats: PublishStats) => void;
  readonly #sender: ManifestSender;
  readonly #changes: ChangeRecorder;
  readonly #reads: Limit;
  readonly #uploads: Limit;
  /**
   * Index-only updates go in batches: each batch advances its directories' generations once, where one
   * update at a time would advance them twice per file (a mass re-upload of 1M files: 3M writes, not 1M).
   */
  readonly #statBatches = new Batcher<StatRecord, boolean>(STAT_BATCH_FILES, STAT_BATCH_DELAY_MS, (records) =>
    this.#statBatchesInFlight.run(() => this.#setStats(records)),
  );
  readonly #statBatchesInFlight = new Limit(4);
  readonly #tasks = new TaskGroup();
  /**
   * Packs uploading or waiting to: each holds its bytes (up to pack.maxBytes) until uploaded. Bounded apart
   * from #tasks, whose bound counts tasks, not bytes: when the store is slower than the disk, a hundred
   * full packs could wait behind the uploads, and memory would grow with the tree.
   */
  readonly #packs = new TaskGroup();
  /** Directories given a history item in this run; each is registered once so restore can find it. */
  readonly #historyDirs = new Set<string>();
  #packNumber = 0;
  #pack: PackBuilder<Staged>;
  #deletes: DeleteOp[] = [];
  #resends: ResendOp[] = [];
  #dirs: Array<{ write: IndexWrite }> = [];
  /**
   * Removed directories' markers are written last, once every entry beneath them is sent: until then the
   * next run must still find the directory to re-send what a crash left unsent.
   */
  readonly #removedDirs: Array<{ write: IndexWrite }> = [];

  constructor(clients: Clients, options: PublishOptions, logger: Logger, onProgress: (stats: PublishStats) => void) {
    this.#clients = clients;
    this.#options = options;
    this.#logger = logger;
    this.#onProgress = onProgress;
    this.#sender = new ManifestSender(clients.sqs, options.queueUrl, options.runId, options.prefix);
    this.#changes = new ChangeRecorder(clients.s3, options.versionBucket, options.runId, (page) =>
      recordChangePage(clients.dynamodb, options.table, options.runId, page),
    );
    this.#reads = new Limit(options.concurrency.files);
    this.#uploads = new Limit(options.concurrency.uploads);
    this.#pack = this.#newPack();
  }

  async run(planPath: string): Promise<PublishStats> {
    try {
      for await (const op of readPlan(planPath)) {
        this.#tasks.check();
        // Bound the work queued ahead of the network, so memory stays flat on huge plans.
        await this.#tasks.waitBelow(this.#options.concurrency.files * 4);
        await this.#packs.waitBelow(this.#options.concurrency.uploads);
        this.#dispatch(op);
      }
      // Reads still in flight add to the current pack: wait for them before the last flush.
      await this.#tasks.wait();
      this.#flushPack();
      this.#flushDeletes();
      this.#flushResends();
      this.#flushDirs();
      await this.#tasks.wait();
    } finally {
      // Never return — or let the caller release the lock — while staging or sending still runs.
      await this.#tasks.waitBelow(0);
    }
    await this.#writeIndex(this.#removedDirs);
    this.stats.entriesSent = this.#sender.entriesSent;
    this.stats.messagesSent = this.#sender.messagesSent;
    this.stats.changePages = this.#changes.pages;
    return this.stats;
  }

  #dispatch(op: PlanOp): void {
    switch (op.op) {
      case "put":
        if (op.size >= this.#options.pack.largeFileBytes) this.#stageLarge(op);
        else this.#stageSmall(op);
        return;
      case "delete":
        this.#deletes.push(op);
        if (this.#deletes.length >= BATCH_ENTRIES) this.#flushDeletes();
        return;
      case "resend":
        this.#resends.push(op);
        if (this.#resends.length >= BATCH_ENTRIES) this.#flushResends();
        return;
      case "record":
        this.#record(op);
        return;
      case "mkdir":
        this.#dirs.push({ write: { kind: op.op, dir: op.dir, name: op.name } });
        if (this.#dirs.length >= BATCH_ENTRIES) this.#flushDirs();
        return;
      case "rmdir":
        this.#removedDirs.push({ write: { kind: op.op, dir: op.dir, name: op.name } });
        return;
    }
  }

  /** A small file is read whole (verified unchanged) into the current pack. */
  #stageSmall(op: PutOp): void {
    this.#tasks.add(
      this.#reads.run(async () => {
        const path = Buffer.from(op.path, "base64");
        const result = await readStable(path, this.#options.pack.largeFileBytes, this.#settling);
        if (!result.ok) {
          if (result.reason === "grew") return this.#stageLarge(op);
          return this.#leave(op.key, result);
        }
        if (await this.#sameContent(op, result)) return;
        this.stats.staged += 1;
        this.stats.stagedBytes += result.size;
        this.#onProgress(this.stats);
        const desired = this.#desiredPut(op, result, { key: this.#pack.key, offset: 0, length: result.size });
        this.#pack.add({ op, desired }, result.bytes);
        const limits = this.#options.pack;
        if (this.#pack.files.length >= limits.maxFiles || this.#pack.bytes >= limits.maxBytes - limits.largeFileBytes) {
          this.#flushPack();
        }
      }),
    );
  }

  /**
   * A large file is streamed into an object of its own (digested on the way), then committed alone. When its
   * record has a digest of the same size, the file is digested first, and the same bytes are not uploaded.
   */
  #stageLarge(op: PutOp): void {
    this.#tasks.add(
      this.#uploads.run(async () => {
        const key = objectKey(this.#options.runId, op.key);
        const path = Buffer.from(op.path, "base64");
        if (op.compare) {
          const digested = await digestLargeFile(path, this.#settling);
          if (!digested.ok) return this.#leave(op.key, digested);
          if (await this.#sameContent(op, digested)) return;
        }
        const { s3 } = this.#clients;
        const result = await stageLargeFile(s3, this.#options.versionBucket, key, path, this.#settling);
        if (!result.ok) return this.#leave(op.key, result);
        this.stats.staged += 1;
        this.stats.largeObjects += 1;
        this.stats.stagedBytes += result.size;
        this.#onProgress(this.stats);
        await this.#commit([{ key: op.key, desired: this.#desiredPut(op, result, { key }), published: op.published }]);
      }),
    );
  }

  /**
   * Bytes just read that are the version the index already holds (published or in flight): the new mtime,
   * ctime and inode go onto that version, and nothing else happens — no pack, no manifest, no change page,
   * so nothing to invalidate and no listing to redo. False (stage as usual) when the digests differ or the
   * version moved on meanwhile.
   */
  async #sameContent(op: PutOp, read: ReadStat): Promise<boolean> {
    if (!op.compare || read.sha256 !== op.compare.sha256) return false;
    const stat = { mtime: read.mtime, ctime: read.ctime, ino: read.ino };
    if (!(await this.#setStat(op.key, op.compare.version, stat))) return false;
    this.stats.unchangedContent += 1;
    return true;
  }

  /** Index only: the ctime and inode of a file whose record has none, on the version it already is. */
  #record(op: RecordOp): void {
    this.#tasks.add(
      this.#setStat(op.key, op.version, { mtime: op.mtime, ctime: op.ctime, ino: op.ino }).then((done) => {
        if (done) this.stats.recorded += 1;
      }),
    );
  }

  /** The one path of the run's index-only updates (a file's status on its current desired version). */
  #setStat(key: string, version: string, stat: FileStat): Promise<boolean> {
    return this.#statBatches.add({ key, version, stat });
  }

  async #setStats(records: StatRecord[]): Promise<boolean[]> {
    const { done, marks } = await setDesiredStats(this.#clients.dynamodb, this.#options.table, records);
    this.#options.replica?.recordStats(
      records.map((r, i) => ({ key: r.key, version: r.version, stat: done[i] ? r.stat : undefined })),
      marks,
    );
    return done;
  }

  #flushPack(): void {
    const full = this.#pack;
    this.#pack = this.#newPack();
    if (full.files.length === 0) return;
    const upload = this.#uploads.run(async () => {
      await uploadPack(this.#clients.s3, this.#options.versionBucket, full);
      this.stats.packs += 1;
      await this.#commit(
        full.files.map((f) => ({
          key: f.item.op.key,
          desired: { ...f.item.desired, source: { key: full.key, offset: f.offset, length: f.length } },
          published: f.item.op.published,
        })),
      );
    });
    this.#tasks.add(upload);
    this.#packs.add(upload);
  }

  #flushDeletes(): void {
    const batch = this.#deletes;
    this.#deletes = [];
    if (batch.length === 0) return;
    const { runId } = this.#options;
    const tombstones = batch.map((d) => ({
      key: d.key,
      desired: { op: "delete" as const, version: runId, run: runId },
      published: d.published,
    }));
    this.#tasks.add(
      this.#commit(tombstones).then(() => {
        this.stats.deletes += batch.length;
      }),
    );
  }

  /**
   * Re-sends move each record to this run first, so its resend delay counts from now; a record whose
   * version moved on meanwhile is not re-sent (the run that wrote the new version sends that).
   */
  #flushResends(): void {
    const batch = this.#resends;
    this.#resends = [];
    if (batch.length === 0) return;
    const { dynamodb } = this.#clients;
    const { table, runId } = this.#options;
    this.#tasks.add(
      (async () => {
        const records = batch.map((r) => ({ key: r.key, version: r.desired.version }));
        const { moved, marks } = await setDesiredRuns(dynamodb, table, records, runId);
        const still = batch.filter((_, i) => moved[i]);
        this.#options.replica?.recordRunMoves(
          still.map((r) => r.key),
          runId,
          marks,
        );
        await this.#send(still.map((r) => toEntry(r.key, r.desired)));
        this.stats.resent += still.length;
      })(),
    );
  }

  #flushDirs(): void {
    const batch = this.#dirs;
    this.#dirs = [];
    if (batch.length > 0) this.#tasks.add(this.#writeIndex(batch));
  }

  /** The desired state and its history, then the send: for a group of entries whose bytes are in place. */
  async #commit(writes: Commit): Promise<void> {
    const at = new Date().toISOString();
    const indexWrites: Array<{ write: IndexWrite; keepPublished?: Published }> = [];
    for (const w of writes) {
      const keep = w.published ? { keepPublished: w.published } : {};
      indexWrites.push({ write: { kind: "desired", key: w.key, desired: w.desired }, ...keep });
      indexWrites.push({ write: { kind: "history", key: w.key, desired: w.desired, at } });
      const { dir } = splitKey(w.key);
      if (!this.#historyDirs.has(dir)) {
        this.#historyDirs.add(dir);
        indexWrites.push({ write: { kind: "historyDir", dir } });
      }
    }
    await this.#writeIndex(indexWrites);
    await this.#send(writes.map((w) => toEntry(w.key, w.desired)));
  }

  /** Every index write of the run: DynamoDB, then — only once DynamoDB took it — the host's replica. */
  async #writeIndex(writes: Array<{ write: IndexWrite; keepPublished?: Published }>): Promise<void> {
    const marks = await writeIndex(this.#clients.dynamodb, this.#options.table, writes);
    this.#options.replica?.recordWrites(writes, marks);
  }

  /**
   * The change page, then SQS, then the run's counts: whatever a crash interrupts, the next run finds the
   * entries in the index, and the PostSync it starts for this run covers what this run sent.
   */
  async #send(entries: ManifestEntry[]): Promise<void> {
    await this.#changes.record(entries.map((e) => ({ op: e.op, key: e.key })));
    const sent = await this.#sender.send(entries);
    await addRunSent(this.#clients.dynamodb, this.#options.table, this.#options.runId, sent);
    this.stats.entriesSent = this.#sender.entriesSent;
    this.stats.messagesSent = this.#sender.messagesSent;
    this.#onProgress(this.stats);
  }

  #desiredPut(op: PutOp, read: ReadStat, source: DesiredPut["source"]): DesiredPut {
    const { runId, contentTypes } = this.#options;
    return {
      op: "put",
      version: runId,
      run: runId,
      size: read.size,
      mtime: read.mtime,
      ctime: read.ctime,
      ino: read.ino,
      sha256: read.sha256,
      contentType: contentTypeFor(op.key, contentTypes, read),
      source,
    };
  }

  /** Whether a file read now is still within the settle window (the clock is read at each check). */
  readonly #settling: SettlingCheck = (times) => isSettling(times, settleClock(this.#options.settleSeconds));

  #leave(key: string, failure: ReadFailure): void {
    if (failure.reason === "settling") {
      this.stats.settling += 1;
      this.#logger.info("file modified within the settle window; left for the next run", { key });
      return;
    }
    this.stats.left.push({ key, reason: `${failure.reason}: ${failure.detail}` });
    this.#logger.warn("file left for the next run", { key, reason: failure.reason, detail: failure.detail });
  }

  #newPack(): PackBuilder<Staged> {
    return new PackBuilder<Staged>(packKey(this.#options.runId, this.#packNumber++));
  }
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
        ...(desired.sha256 !== undefined ? { sha256: desired.sha256 } : {}),
      }
    : { op: "delete", key, version: desired.version };
}
