// `sitesync restore`: rebuild the host tree (or part of it) from what the index publishes now, or from
// the versions it had at a point in time. Every file is written to a temporary name beside its target
// and renamed into place, with the indexed mtime, so the next sync sees no change. Keys that would land
// outside the target directory (.., absolute, NUL) are refused; no symbolic link is ever followed; extra
// files go only with --delete; a restore and a sync never run at once (the same lock).
import { lstat, mkdir, readdir, rename, rm, unlink, utimes } from "node:fs/promises";
import { DeleteMessageCommand, ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { BadInputError, ConfigError } from "../core/errors.ts";
import { join, resolve, sep } from "node:path";
import type { AwsClients } from "../aws/clients.ts";
import { queryHistory, queryHistoryDirs, setDesiredMtime } from "../aws/index-table.ts";
import { currentFiles, currentSubdirectories } from "../aws/restore-plan.ts";
import { downloadVersion } from "../aws/staged-bytes.ts";
import type { DesiredPut } from "../core/index-record.ts";
import type { Logger } from "../core/logger.ts";
import { joinKey, splitKey } from "../core/keys.ts";
import { mtimeFromNs, mtimeToSeconds } from "../core/mtime.ts";
import { versionAsOf, type KeyVersion } from "../core/restore-rules.ts";
import type { AgentConfig } from "./config.ts";
import { Limit } from "./limit.ts";
import { acquireLock } from "./lock.ts";
import { createExcluder } from "./scan.ts";

export interface HostRestoreOptions {
  /** Site-relative prefix to restore, "" for the whole site. */
  prefix: string;
  /** ISO time; absent → the state the index publishes now. */
  asOf?: string;
  /** Take the plan from the restore queue (written by the Restore workflow) instead of the index. */
  fromQueue?: boolean;
  /** The directory to write into (default: the config's root). */
  dir: string;
  delete: boolean;
  dryRun?: boolean;
}

export interface HostRestoreResult {
  files: number;
  written: number;
  skipped: number;
  deleted: number;
  refused: Array<{ key: string; reason: string }>;
  unrestorable: Array<{ key: string; reason: string }>;
  seconds: number;
}

export class UnsafeKeyError extends Error {
  override readonly name = "UnsafeKeyError";
}

export async function runHostRestore(config: AgentConfig, clients: AwsClients, logger: Logger, options: HostRestoreOptions): Promise<HostRestoreResult> {
  const started = Date.now();
  const lock = acquireLock(config.stateDir, "restore", logger);
  try {
    const target = resolve(options.dir);
    if (!options.dryRun) await mkdir(target, { recursive: true });
    const result: HostRestoreResult = { files: 0, written: 0, skipped: 0, deleted: 0, refused: [], unrestorable: [], seconds: 0 };
    const planned = new Set<string>();
    const limit = new Limit(config.concurrency.files);
    let done = 0;
    const restoreAll = (files: TargetFile[]) => Promise.all(
      files.map((file) =>
        limit.run(async () => {
          const rel = file.key.slice(config.prefix.length);
          try {
            const path = safePath(target, rel);
            planned.add(path);
            if (file.desired.source.key === "" && file.publishedVersion !== file.desired.version) {
              result.unrestorable.push({ key: file.key, reason: "adopted version no longer in the bucket" });
              return;
            }
            const outcome = await restoreFile(config, clients, target, rel, path, file, options.dryRun === true);
            result[outcome] += 1;
          } catch (err) {
            if (err instanceof UnsafeKeyError) {
              result.refused.push({ key: file.key, reason: err.message });
              logger.warn("refused a key that would write outside the target", { key: file.key, reason: err.message });
              return;
            }
            if ((err as Error).name === "NoSuchKey") {
              // Staged before the retention window: the bytes have expired. Report it; restore the rest.
              result.unrestorable.push({ key: file.key, reason: "its staged bytes have expired (older than the retention)" });
              return;
            }
            throw err;
          } finally {
            logger.progress(`restored ${++done}/${result.files}`);
          }
        }),
      ),
    );
    let prefix = options.prefix;
    if (options.fromQueue) {
      prefix = await consumePlans(config, clients, logger, async (plan) => {
        result.files += plan.length;
        await restoreAll(plan);
      });
    } else {
      const files = await targetFiles(config, clients, options);
      result.files = files.length;
      await restoreAll(files);
    }
    if (options.delete) result.deleted = await removeExtraFiles(config, target, prefix, planned, options.dryRun === true, logger);
    result.seconds = (Date.now() - started) / 1000;
    return result;
  } finally {
    lock.release();
  }
}

interface TargetFile {
  key: string;
  desired: DesiredPut;
  /** The version the index publishes now, to know whether an adopted version's bytes are still there. */
  publishedVersion?: string;
}

async function targetFiles(config: AgentConfig, clients: AwsClients, options: HostRestoreOptions): Promise<TargetFile[]> {
  const keyPrefix = config.prefix + options.prefix;
  const startDir = splitKey(keyPrefix).dir;
  const out: TargetFile[] = [];
  if (options.asOf === undefined) {
    const queue = [startDir];
    while (queue.length > 0) {
      const dir = queue.pop()!;
      const [files, dirs] = await Promise.all([
        currentFiles(clients.dynamodb, config.table, dir, keyPrefix),
        currentSubdirectories(clients.dynamodb, config.table, dir),
      ]);
      for (const f of files) out.push({ key: f.key, desired: f.desired, publishedVersion: f.desired.version });
      queue.push(...dirs);
    }
    return out;
  }
  for (const dir of await queryHistoryDirs(clients.dynamodb, config.table, startDir)) {
    const [history, now] = await Promise.all([
      queryHistory(clients.dynamodb, config.table, dir),
      currentFiles(clients.dynamodb, config.table, dir, keyPrefix),
    ]);
    const published = new Map(now.map((f) => [f.key, f.desired.version]));
    const byKey = new Map<string, KeyVersion[]>();
    for (const h of history) if (h.key.startsWith(keyPrefix)) byKey.set(h.key, [...(byKey.get(h.key) ?? []), { desired: h.desired, at: h.at }]);
    for (const [key, versions] of byKey) {
      const v = versionAsOf(versions, options.asOf);
      if (v && v.desired.op === "put") {
        const publishedVersion = published.get(key);
        out.push({ key, desired: v.desired, ...(publishedVersion ? { publishedVersion } : {}) });
      }
    }
  }
  return out;
}

interface PlanMessage {
  v: 1;
  restoreId: string;
  sitePrefix: string;
  prefix: string;
  files: TargetFile[];
}

/**
 * Applies every plan on the restore queue, deleting a message only once its files are written; returns
 * the site-relative prefix the plans covered. Stops when the queue stays empty for two polls.
 */
async function consumePlans(config: AgentConfig, clients: AwsClients, logger: Logger, apply: (files: TargetFile[]) => Promise<void>): Promise<string> {
  if (!config.restoreQueueUrl) throw new ConfigError("the configuration", "restoreQueueUrl", "is needed for --from-queue (the stack output RestoreQueueUrl)");
  let prefix = "";
  for (let empty = 0; empty < 2; ) {
    const res = await clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: config.restoreQueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, VisibilityTimeout: 600 }),
    );
    const messages = res.Messages ?? [];
    if (messages.length === 0) {
      empty++;
      continue;
    }
    empty = 0;
    for (const message of messages) {
      const plan = JSON.parse(message.Body ?? "{}") as PlanMessage;
      if (plan.v !== 1 || !Array.isArray(plan.files)) throw new BadInputError(`restore queue message ${message.MessageId} is not a restore plan`);
      if (plan.sitePrefix !== config.prefix) {
        throw new BadInputError(`restore plan ${plan.restoreId} is for the site prefix "${plan.sitePrefix}", this host syncs "${config.prefix}"`);
      }
      prefix = plan.prefix.slice(config.prefix.length);
      logger.info("applying a restore plan", { restoreId: plan.restoreId, files: plan.files.length });
      await apply(plan.files);
      await clients.sqs.send(new DeleteMessageCommand({ QueueUrl: config.restoreQueueUrl, ReceiptHandle: message.ReceiptHandle! }));
    }
  }
  return prefix;
}

/** The absolute path of a site-relative key inside `target`, or UnsafeKeyError. */
export function safePath(target: string, rel: string): string {
  if (rel.includes("\0")) throw new UnsafeKeyError("the key contains a NUL byte");
  if (rel.startsWith("/") || /^[A-Za-z]:[\\/]/.test(rel)) throw new UnsafeKeyError("the key is an absolute path");
  const segments = rel.split("/");
  if (segments.some((s) => s === ".." || s === "." || s === "")) throw new UnsafeKeyError("the key has an empty, '.' or '..' segment");
  const path = resolve(target, rel);
  if (!path.startsWith(target + sep)) throw new UnsafeKeyError("the key resolves outside the target directory");
  return path;
}

/** Creates the directories of `rel` under `target`, refusing to pass through a symbolic link or a file. */
async function ensureDirectories(target: string, rel: string): Promise<void> {
  let path = target;
  for (const segment of rel.split("/").slice(0, -1)) {
    path = join(path, segment);
    try {
      const st = await lstat(path);
      if (st.isSymbolicLink()) throw new UnsafeKeyError(`${path} is a symbolic link; restore never follows one`);
      if (!st.isDirectory()) throw new UnsafeKeyError(`${path} is a file where the key needs a directory`);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
      await mkdir(path).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== "EEXIST") throw e;
      });
    }
  }
}

async function restoreFile(
  config: AgentConfig,
  clients: AwsClients,
  target: string,
  rel: string,
  path: string,
  file: TargetFile,
  dryRun: boolean,
): Promise<"written" | "skipped"> {
  const existing = await lstat(path, { bigint: true }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") return undefined;
    throw err;
  });
  if (existing?.isSymbolicLink()) throw new UnsafeKeyError(`${path} is a symbolic link; restore never writes through one`);
  if (existing && !existing.isFile()) throw new UnsafeKeyError(`${path} is not a regular file`);
  // Already in place: same size and the indexed mtime (size alone would hide a same-size edit).
  if (existing && Number(existing.size) === file.desired.size && mtimeFromNs(existing.mtimeNs) === file.desired.mtime) return "skipped";
  if (dryRun) return "written";
  await ensureDirectories(target, rel);
  const temp = join(path, "..", `.${splitKey(rel).name.slice(0, 100)}.sitesync-restore-${process.pid}-${Math.random().toString(36).slice(2)}`);
  try {
    await downloadVersion({ s3: clients.s3, versionBucket: config.versionBucket, siteBucket: config.siteBucket }, file.key, file.desired.source, file.desired.size, temp);
    const seconds = mtimeToSeconds(file.desired.mtime);
    await utimes(temp, seconds, seconds);
    await rename(temp, path);
  } catch (err) {
    await unlink(temp).catch(() => {});
    throw err;
  }
  // Node sets mtimes through a double, which can miss the indexed nanoseconds: record what the file got,
  // so the next sync sees it unchanged (only while this version is still the desired one).
  const actual = mtimeFromNs((await lstat(path, { bigint: true })).mtimeNs);
  if (actual !== file.desired.mtime) await setDesiredMtime(clients.dynamodb, config.table, file.key, file.desired.version, actual);
  return "written";
}

/** Removes regular files under the restored prefix that the plan does not hold (excluded names are kept). */
async function removeExtraFiles(config: AgentConfig, target: string, prefix: string, planned: Set<string>, dryRun: boolean, logger: Logger): Promise<number> {
  const excluded = createExcluder({ nameEncoding: config.nameEncoding, exclude: config.exclude, dotFiles: config.dotFiles, fileConcurrency: 1 });
  const startRel = splitKey(prefix).dir;
  const start = startRel === "" ? target : join(target, startRel);
  let removed = 0;
  const walk = async (dir: string, relDir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
      if (err.code === "ENOENT") return [];
      throw err;
    });
    for (const entry of entries) {
      const rel = joinKey(relDir, entry.name);
      if (excluded(rel, entry.name) || entry.name.includes(".sitesync-restore-")) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path, rel);
      else if (entry.isFile() && rel.startsWith(prefix) && !planned.has(path)) {
        if (!dryRun) await rm(path);
        removed++;
        logger.debug("removed a file the restore does not hold", { path });
      }
    }
  };
  await walk(start, startRel);
  return removed;
}
