// `sitesync restore`: rebuild the host tree (or part of it) from what the index publishes now, or from
// the versions it had at a point in time. Every file is written to a temporary name beside its target
// and renamed into place, with the indexed mtime, so the next sync sees no change. Keys that would land
// outside the target directory (.., absolute, NUL) are refused; no symbolic link is ever followed, even
// one swapped in mid-restore (agent/restore/tree-writer.ts); extra files go only with --delete, past the same
// mass-deletion guard as sync's, and only once the whole plan is known; a restore and a sync never run at
// once (the same lock). Only a restore into the configured root touches the index.
import { mkdir, realpath } from "node:fs/promises";
import { resolve } from "node:path";
import type { FileHandle } from "node:fs/promises";
import type { Readable } from "node:stream";
import type { Message } from "@aws-sdk/client-sqs";
import type { AwsClients } from "../../aws/clients.ts";
import { setDesiredStat } from "../../aws/index/files.ts";
import { queryHistory, queryHistoryDirs } from "../../aws/index/history.ts";
import { currentFiles, currentSubdirectories } from "../../aws/index/files.ts";
import { readPublishedVersion, readSiteObject } from "../../aws/site-bucket.ts";
import { deletePlanMessage, receivePlanMessages, returnPlanMessage } from "../../aws/restore-queue.ts";
import { readStagedStream } from "../../aws/version-store.ts";
import { DeletionTally, judgeDeletions } from "../../core/delete-guard.ts";
import { BadInputError, ConfigError, PermanentError, RetryableError, errorMessage } from "../../core/errors.ts";
import { parseHostPlan, type HostPlanFile, type HostPlanMessage } from "../../core/host-plan.ts";
import { decodeName, joinKey, splitKey } from "../../core/keys.ts";
import type { Logger } from "../../core/logger.ts";
import { mtimeFromNs, mtimeToSeconds } from "../../core/mtime.ts";
import { oldestRestorable, parseIsoTime, versionAsOf, type KeyVersion } from "../../core/restore-rules.ts";
import type { AgentConfig } from "../config.ts";
import { Limit } from "../../core/concurrency.ts";
import { acquireLock } from "../lock.ts";
import { createExcluder } from "../sync/scan.ts";
import { SafetyGuardError } from "../sync/sync.ts";
import type { Progress } from "../progress.ts";
import { TreeDirectory, UnsafeKeyError, type WriteStepHook } from "./tree-writer.ts";

export interface HostRestoreOptions {
  /** Site-relative prefix to restore, "" for the whole site; the site's own prefix comes from the config. */
  prefix: string;
  /** ISO 8601 time with its zone; absent → the state the index publishes now. */
  asOf?: string;
  /** Take the plan from the restore queue (written by the Restore workflow) instead of the index. */
  fromQueue?: boolean;
  /** The directory to write into (default: the config's root). */
  dir: string;
  delete: boolean;
  /** Let --delete past the mass-deletion guard. */
  force?: boolean;
  dryRun?: boolean;
  onWriteStep?: WriteStepHook;
  /** Told the counters as the restore goes (agent/progress.ts). */
  progress?: Progress;
}

export interface HostRestoreResult {
  /** The site-relative prefix restored. */
  prefix: string;
  files: number;
  written: number;
  skipped: number;
  deleted: number;
  refused: Array<{ key: string; reason: string }>;
  unrestorable: Array<{ key: string; reason: string }>;
  /** Files that failed for another reason (an S3 or a disk error): reported, the rest restored. */
  failed: Array<{ key: string; reason: string }>;
  /** Queue messages not applied (malformed, or another restore's or host's plan): left on the queue. */
  messagesLeft: Array<{ messageId: string; reason: string }>;
  /** Why --delete removed nothing although asked. */
  deletionSkipped?: string;
  seconds: number;
}

/** A --as-of that is not a time, or not one a restore can reach. */
export class RestoreTimeError extends PermanentError {
  override readonly name = "RestoreTimeError";
}

/** The bytes of a version are gone for good. */
class UnrestorableError extends PermanentError {
  override readonly name = "UnrestorableError";
}

export async function runHostRestore(
  config: AgentConfig,
  clients: AwsClients,
  logger: Logger,
  options: HostRestoreOptions,
): Promise<HostRestoreResult> {
  const started = Date.now();
  const now = new Date(started);
  const asOf = options.asOf === undefined ? undefined : restorableTime(options.asOf, now, config.retentionDays);
  const lock = acquireLock(config.stateDir, "restore", logger, config.lockWarnMinutes);
  try {
    const target = resolve(options.dir);
    if (!options.dryRun) await mkdir(target, { recursive: true });
    const hooks = options.onWriteStep ? { onWriteStep: options.onWriteStep } : {};
    // A dry run into a folder that does not exist yet: everything would be written, nothing removed.
    const root = await TreeDirectory.open(target, hooks).catch((err: NodeJS.ErrnoException) => {
      if (options.dryRun && err.code === "ENOENT") return undefined;
      throw err;
    });
    try {
      const run = new Restore(config, clients, logger, root, await sameDirectory(target, config.root), options);
      await (options.fromQueue ? run.fromQueue() : run.fromIndex(asOf));
      run.result.seconds = (Date.now() - started) / 1000;
      return run.result;
    } finally {
      await root?.close();
    }
  } finally {
    lock.release();
  }
}

function restorableTime(text: string, now: Date, retentionDays: number): string {
  const at = parseIsoTime(text);
  if (!at) {
    throw new RestoreTimeError(
      "--as-of must be an ISO 8601 time with its zone, such as 2026-11-25T09:00:00Z or 2026-11-25T10:00:00+01:00, " +
        `not "${text}"`,
    );
  }
  if (at > now) {
    throw new RestoreTimeError(`--as-of ${at.toISOString()} is in the future; the latest restorable time is now`);
  }
  const oldest = oldestRestorable(now, retentionDays);
  if (at < oldest) {
    throw new RestoreTimeError(
      `--as-of ${at.toISOString()} is older than the ${retentionDays}-day retention (retentionDays): ` +
        `the oldest time that can be restored is ${oldest.toISOString()}`,
    );
  }
  return at.toISOString();
}

/** The index is the configured root's: a restore elsewhere (a scratch folder) must never change it. */
async function sameDirectory(a: string, b: string): Promise<boolean> {
  const real = (p: string) => realpath(p).catch(() => resolve(p));
  return (await real(a)) === (await real(b));
}

/** One plan entry of the restored state, whatever its source (the index or a queue message). */
type TargetFile = HostPlanFile;

class Restore {
  readonly result: HostRestoreResult;
  /** Site-relative keys of the restored state: never removed as extra. */
  private readonly planned = new Set<string>();
  private readonly limit: Limit;
  private done = 0;
  private readonly config: AgentConfig;
  private readonly clients: AwsClients;
  private readonly logger: Logger;
  private readonly root: TreeDirectory | undefined;
  private readonly intoRoot: boolean;
  private readonly options: HostRestoreOptions;

  constructor(
    config: AgentConfig,
    clients: AwsClients,
    logger: Logger,
    root: TreeDirectory | undefined,
    intoRoot: boolean,
    options: HostRestoreOptions,
  ) {
    this.config = config;
    this.clients = clients;
    this.logger = logger;
    this.root = root;
    this.intoRoot = intoRoot;
    this.options = options;
    this.result = {
      prefix: options.prefix,
      files: 0,
      written: 0,
      skipped: 0,
      deleted: 0,
      refused: [],
      unrestorable: [],
      failed: [],
      messagesLeft: [],
      seconds: 0,
    };
    this.limit = new Limit(config.concurrency.files);
  }

  async fromIndex(asOf: string | undefined): Promise<void> {
    this.options.progress?.phase("reading the index");
    const files = await targetFiles(this.config, this.clients, this.options.prefix, asOf);
    this.result.files = files.length;
    this.options.progress?.phase("restoring", { applied: 0, toApply: files.length, appliedLabel: "restored" });
    await this.restoreAll(files, this.config.prefix + this.options.prefix);
    if (this.options.delete) await this.removeExtraFiles(this.options.prefix);
  }

  /**
   * Applies the plan the Restore workflow put on the restore queue, part by part as its messages arrive.
   * The messages of one restore are applied; anything else is left on the queue and reported. With
   * --delete the plan's messages are held (invisible) until every page has arrived and the extras are
   * removed, so that a later run still finds the whole plan if this one cannot; otherwise each message
   * goes once applied.
   */
  async fromQueue(): Promise<void> {
    const queueUrl = this.config.restoreQueueUrl;
    if (!queueUrl) {
      const problem = "is needed for --from-queue (the stack output RestoreQueueUrl)";
      throw new ConfigError("the configuration", "restoreQueueUrl", problem);
    }
    const sqs = this.clients.sqs;
    const keep = this.options.delete || this.options.dryRun === true;
    const plan = new PlanPages();
    const left: string[] = [];
    try {
      for (let empty = 0; empty < 2; ) {
        const messages = await receivePlanMessages(sqs, queueUrl);
        empty = messages.length === 0 ? empty + 1 : 0;
        for (const message of messages) {
          const part = plan.add(message, this.config.prefix);
          if (typeof part === "string") {
            this.result.messagesLeft.push({ messageId: message.MessageId ?? "?", reason: part });
            this.logger.error("left a message on the restore queue", { messageId: message.MessageId, reason: part });
            left.push(message.ReceiptHandle!);
            continue;
          }
          if (part === undefined) continue;
          const { restoreId, page } = part;
          this.logger.info("applying a restore plan part", { restoreId, page, part: part.part });
          this.options.progress?.update({ phase: `plan page ${page + 1}/${part.pages}`, appliedLabel: "restored" });
          await this.applyPlanMessage(part);
          if (keep) continue;
          await deletePlanMessage(sqs, queueUrl, message.ReceiptHandle!);
          plan.release(part);
        }
      }
      const head = plan.head;
      if (head) this.result.prefix = head.prefix.slice(this.config.prefix.length);
      if (!this.options.delete) return;
      const missing = plan.missing();
      if (!head || missing) {
        this.result.deletionSkipped = head
          ? `the plan of restore ${head.restoreId} is incomplete (${missing}); nothing was removed. ` +
            "The parts that arrived are back on the queue: run again once the Restore workflow has finished."
          : "the restore queue held no plan; nothing was removed";
        this.logger.warn(this.result.deletionSkipped);
        return;
      }
      await this.removeExtraFiles(this.result.prefix);
      if (this.options.dryRun) return;
      for (const [part, receipt] of plan.held()) {
        await deletePlanMessage(sqs, queueUrl, receipt);
        plan.release(part);
      }
    } finally {
      // Back on the queue at once, for the next run (or a run with --force after the guard stopped this one).
      for (const receipt of [...plan.held().values(), ...left]) {
        await returnPlanMessage(sqs, queueUrl, receipt).catch((err: unknown) => {
          this.logger.warn("a plan message stays invisible until its timeout", { error: errorMessage(err) });
        });
      }
    }
  }

  private async applyPlanMessage(plan: HostPlanMessage): Promise<void> {
    for (const lost of plan.unrestorable) {
      this.planned.add(lost.key.slice(this.config.prefix.length));
      this.result.unrestorable.push(lost);
    }
    this.result.files += plan.files.length + plan.unrestorable.length;
    await this.restoreAll(plan.files, plan.prefix);
  }

  private restoreAll(files: TargetFile[], keyPrefix: string): Promise<void> {
    const each = files.map((file) => this.limit.run(() => this.restoreOne(file, keyPrefix)));
    return Promise.all(each).then(() => undefined);
  }

  /** One file: written, skipped, or reported; one file's failure never stops the others. */
  private async restoreOne(file: TargetFile, keyPrefix: string): Promise<void> {
    const rel = file.key.slice(this.config.prefix.length);
    try {
      if (!file.key.startsWith(keyPrefix)) {
        throw new UnsafeKeyError(`the key is outside the restored prefix "${keyPrefix}"`);
      }
      const segments = keySegments(rel);
      this.planned.add(rel);
      this.result[await this.restoreFile(segments, file)] += 1;
    } catch (err) {
      const reason = errorMessage(err);
      if (err instanceof UnsafeKeyError) {
        this.result.refused.push({ key: file.key, reason });
        this.logger.warn("refused a key that would write outside the target or through a link", {
          key: file.key,
          reason,
        });
      } else if (err instanceof UnrestorableError) {
        this.result.unrestorable.push({ key: file.key, reason });
        this.logger.warn("a version's bytes are gone", { key: file.key, reason });
      } else {
        this.result.failed.push({ key: file.key, reason });
        this.logger.error("could not restore a file", { key: file.key, reason, error: (err as Error)?.name });
      }
    } finally {
      this.options.progress?.update({ applied: ++this.done, current: rel });
    }
  }

  private async restoreFile(segments: string[], file: TargetFile): Promise<"written" | "skipped"> {
    const { desired } = file;
    if (desired.source.key === "" && file.publishedVersion !== desired.version) {
      throw new UnrestorableError("adopted version no longer in the bucket");
    }
    const dirs = segments.slice(0, -1);
    const name = segments.at(-1)!;
    const existing = await this.root?.within(dirs, false, (dir) => dir.lstat(name));
    const path = segments.join("/");
    if (existing?.isSymbolicLink()) {
      throw new UnsafeKeyError(`${path} is a symbolic link; restore never writes through one`);
    }
    if (existing && !existing.isFile()) throw new UnsafeKeyError(`${path} is not a regular file`);
    // Already in place: same size and the indexed mtime (size alone would hide a same-size edit).
    if (existing && Number(existing.size) === desired.size && mtimeFromNs(existing.mtimeNs) === desired.mtime) {
      return "skipped";
    }
    if (this.options.dryRun) return "written";
    const written = await this.root!.within(dirs, true, (dir) =>
      dir.writeFile(name, mtimeToSeconds(desired.mtime), (into) => this.fetchBytes(file, into)),
    );
    // Node sets mtimes through a double, which can miss the indexed nanoseconds, and a written file is a new
    // inode with a new ctime: record what the file got, so the next sync sees it unchanged (only while this
    // version is still the desired one).
    if (this.intoRoot) {
      const stat = {
        mtime: mtimeFromNs(written!.mtimeNs),
        ctime: mtimeFromNs(written!.ctimeNs),
        ino: `${written!.ino}`,
      };
      await setDesiredStat(this.clients.dynamodb, this.config.table, file.key, desired.version, stat);
    }
    return "written";
  }

  /**
   * The version's bytes from where they were staged; when those have expired (older than the retention)
   * and the version is the one published, from the site object — checked to be that very version.
   */
  private async fetchBytes(file: TargetFile, into: FileHandle): Promise<void> {
    const { key, desired } = file;
    const { s3 } = this.clients;
    const { siteBucket, versionBucket } = this.config;
    try {
      // An adopted version was never staged: its bytes are the site object's.
      const body =
        desired.source.key === ""
          ? await readSiteObject(s3, siteBucket, key)
          : await readStagedStream(s3, versionBucket, desired.source);
      await writeBody(body, into, desired.size, `${key}: from ${desired.source.key || "the site bucket"}`);
    } catch (err) {
      const name = (err as Error).name;
      if (desired.source.key === "" || (name !== "NoSuchKey" && name !== "AccessDenied")) throw err;
      if (file.publishedVersion !== desired.version) {
        throw new UnrestorableError(
          `its staged bytes are gone (${name}: staged before the retention window) ` +
            "and the site publishes another version",
        );
      }
      const published = await readPublishedVersion(s3, siteBucket, key, desired.version, desired.size).catch(
        (e: Error) => {
          throw e instanceof BadInputError || e.name === "NoSuchKey" || e.name === "AccessDenied"
            ? new UnrestorableError(`its staged bytes are gone and the published object cannot stand in: ${e.message}`)
            : e;
        },
      );
      await writeBody(published, into, desired.size, `${key}: from the site bucket`);
    }
  }

  /**
   * Removes regular files under the restored prefix that the restored state does not hold (excluded names
   * are kept), after asking the mass-deletion guard about all of them at once.
   */
  private async removeExtraFiles(prefix: string): Promise<void> {
    if (!this.root) return;
    const config = this.config;
    const excluded = createExcluder({
      nameEncoding: config.nameEncoding,
      exclude: config.exclude,
      dotFiles: config.dotFiles,
    });
    const startRel = splitKey(prefix).dir;
    const tally = new DeletionTally();
    const extras: Buffer[][] = [];
    // Names are bytes, decoded as the scan decodes them, and the file is removed by its bytes.
    const walk = async (dir: TreeDirectory, relDir: string, names: Buffer[]): Promise<void> => {
      for (const entry of await dir.entries()) {
        const { name } = decodeName(entry.name, config.nameEncoding);
        const rel = joinKey(relDir, name);
        if (excluded(rel, name) || name.includes(".sitesync-restore-")) continue;
        if (entry.isDirectory()) {
          const child = await dir.child(entry.name, false).catch((err: unknown) => {
            if (!(err instanceof UnsafeKeyError)) throw err;
            this.logger.warn("not descending", { reason: err.message });
            return undefined;
          });
          if (!child) continue;
          try {
            await walk(child, rel, [...names, entry.name]);
          } finally {
            await child.close();
          }
        } else if (entry.isFile() && rel.startsWith(prefix)) {
          const extra = !this.planned.has(rel);
          tally.count(rel, extra);
          if (extra) extras.push([...names, entry.name]);
        }
      }
    };
    await this.root.within(keySegmentsOf(startRel), false, async (start) => {
      await walk(start, startRel, []);
      const verdict = judgeDeletions(
        { ...tally, subject: `the tree under "${prefix}"`, source: "the restored state" },
        config.deleteGuard,
      );
      if (!verdict.allowed && !this.options.force) {
        const reason =
          tally.deleted === tally.total
            ? `the restored state holds no files of the ${tally.total} under "${prefix}" ` +
              "(a mistyped --prefix, or an --as-of before they existed?)"
            : verdict.reason;
        throw new SafetyGuardError(
          `${reason}. Restored files were written; nothing was removed. ` +
            "Check --prefix and --as-of; run with --force if the removals are meant.",
        );
      }
      for (const names of extras) {
        if (!this.options.dryRun) await start.within(names.slice(0, -1), false, (dir) => dir.remove(names.at(-1)!));
        this.result.deleted++;
        const path = names.map((n) => n.toString()).join("/");
        this.logger.debug("removed a file the restore does not hold", { path });
      }
    });
  }
}

/** Writes all of `body` into `into`; a length other than `size` is an error (the restore is retried). */
async function writeBody(body: Readable, into: FileHandle, size: number, what: string): Promise<void> {
  let received = 0;
  for await (const chunk of body) {
    const bytes = chunk as Buffer;
    for (let offset = 0; offset < bytes.length; ) {
      offset += (await into.write(bytes, offset, bytes.length - offset)).bytesWritten;
    }
    received += bytes.length;
  }
  if (received !== size) throw new RetryableError(`${what}: expected ${size} bytes, got ${received}`);
}

/** The segments of a site-relative key, or UnsafeKeyError when it could land outside the target. */
function keySegments(rel: string): string[] {
  if (rel.includes("\0")) throw new UnsafeKeyError("the key contains a NUL byte");
  if (rel.startsWith("/") || /^[A-Za-z]:[\\/]/.test(rel)) throw new UnsafeKeyError("the key is an absolute path");
  const segments = rel.split("/");
  if (segments.some((s) => s === ".." || s === "." || s === "")) {
    throw new UnsafeKeyError("the key has an empty, '.' or '..' segment");
  }
  return segments;
}

const keySegmentsOf = (relDir: string): string[] => (relDir === "" ? [] : keySegments(relDir));

/**
 * The parts of one restore's plan as they arrive: which have been applied, the latest receipt of each
 * (SQS delivers at least once, each time with a new receipt), and whether every page is whole.
 */
class PlanPages {
  head: HostPlanMessage | undefined;
  private readonly pages = new Map<number, { parts: number; got: Set<number> }>();
  private readonly receipts = new Map<string, string>();

  /** The part to apply; undefined for one applied already; why a message is not this plan's. */
  add(message: Message, sitePrefix: string): HostPlanMessage | undefined | string {
    let part: HostPlanMessage;
    try {
      part = parseHostPlan(message.Body ?? "");
    } catch (err) {
      return `not a restore plan: ${errorMessage(err)}`;
    }
    if (part.sitePrefix !== sitePrefix) {
      return `a plan for the site prefix "${part.sitePrefix}"; this host syncs "${sitePrefix}"`;
    }
    this.head ??= part;
    const head = this.head;
    if (part.restoreId !== head.restoreId) {
      return `a plan of restore ${part.restoreId}; this run applies restore ${head.restoreId}: run again to apply it`;
    }
    const page = this.pages.get(part.page) ?? { parts: part.parts, got: new Set<number>() };
    if (part.pages !== head.pages || part.prefix !== head.prefix || part.parts !== page.parts) {
      return `its pages, parts or prefix differ from the other messages of restore ${part.restoreId}`;
    }
    this.pages.set(part.page, page);
    this.receipts.set(slot(part), message.ReceiptHandle!);
    if (page.got.has(part.part)) return undefined;
    page.got.add(part.part);
    return part;
  }

  /** Parts applied and not yet taken off the queue, by part. */
  held(): Map<string, string> {
    return this.receipts;
  }

  release(part: HostPlanMessage | string): void {
    this.receipts.delete(typeof part === "string" ? part : slot(part));
  }

  /** What is missing, in words; undefined when every page is whole. */
  missing(): string | undefined {
    if (!this.head) return undefined;
    const whole = [...this.pages.values()].filter((p) => p.got.size === p.parts).length;
    return whole === this.head.pages ? undefined : `${whole} of ${this.head.pages} pages received`;
  }
}

const slot = (part: HostPlanMessage) => `${part.page}.${part.part}`;

/** The restored state from the index: as it publishes now, or each key's version at `asOf`. */
async function targetFiles(
  config: AgentConfig,
  clients: AwsClients,
  prefix: string,
  asOf: string | undefined,
): Promise<TargetFile[]> {
  const keyPrefix = config.prefix + prefix;
  const startDir = splitKey(keyPrefix).dir;
  const out: TargetFile[] = [];
  if (asOf === undefined) {
    const queue = [startDir];
    while (queue.length > 0) {
      const dir = queue.pop()!;
      const [files, dirs] = await Promise.all([
        currentFiles(clients.dynamodb, config.table, dir, keyPrefix),
        currentSubdirectories(clients.dynamodb, config.table, dir),
      ]);
      out.push(...files);
      queue.push(...dirs);
    }
    return out;
  }
  for (const dir of await queryHistoryDirs(clients.dynamodb, config.table, startDir)) {
    const [history, now] = await Promise.all([
      queryHistory(clients.dynamodb, config.table, dir),
      currentFiles(clients.dynamodb, config.table, dir, keyPrefix),
    ]);
    const published = new Map(now.map((f) => [f.key, f.publishedVersion]));
    const byKey = new Map<string, KeyVersion[]>();
    for (const h of history) {
      if (!h.key.startsWith(keyPrefix)) continue;
      byKey.set(h.key, [...(byKey.get(h.key) ?? []), { desired: h.desired, at: h.at }]);
    }
    for (const [key, versions] of byKey) {
      const v = versionAsOf(versions, asOf);
      if (v?.desired.op !== "put") continue;
      const publishedVersion = published.get(key);
      out.push({ key, desired: v.desired, ...(publishedVersion ? { publishedVersion } : {}) });
    }
  }
  return out;
}
