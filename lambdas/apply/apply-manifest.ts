// Applies one manifest: for each entry, make the bucket hold what the index desires for its key, then
// record it. Idempotent per entry (a duplicate is recognised and skipped) and order-proof (an entry older
// than the index's desired version is dropped; a write that raced a newer one is repaired by writing the
// newer one before the record is made).
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { drainWithBackoff } from "../../aws/backoff.ts";
import { countMessageApplied, getFile, getFiles, markPublished, removeTombstone } from "../../aws/index-table.ts";
import { decideEntry } from "../../core/apply-rules.ts";
import { PermanentError, RetryableError } from "../../core/errors.ts";
import { isPack, type BytesLocation, type DesiredPut, type IndexFile } from "../../core/index-record.ts";
import type { Logger } from "../../core/logger.ts";
import type { Manifest, ManifestEntry } from "../../core/manifest.ts";
import { mtimeToSeconds } from "../../core/mtime.ts";
import { cacheControlFor, rewriteCopies, type PublishRules } from "../../core/publish-rules.ts";

export interface ApplyDeps {
  s3: S3Client;
  dynamodb: DynamoDBClient;
  siteBucket: string;
  versionBucket: string;
  table: string;
  rules: PublishRules;
  logger: Logger;
  /** Entries of one message applied at once. */
  concurrency?: number;
  now?: () => Date;
}

export type EntryOutcome = "published" | "deleted" | "superseded" | "done";

export interface ManifestOutcome {
  counts: Record<EntryOutcome, number>;
  /** False when this message had been counted before (a redelivery). */
  counted: boolean;
}

/** How many times one entry chases a desired state that keeps moving before giving up for now. */
const MAX_CHASES = 5;
/** Largest span of a pack read with a single ranged GET for the entries of one message. */
const MAX_SPAN_BYTES = 32 * 1024 * 1024;

export async function applyManifest(manifest: Manifest, deps: ApplyDeps): Promise<ManifestOutcome> {
  const bytes = new ByteSource(deps.s3, deps.versionBucket);
  bytes.prefetch(manifest.entries);
  const records = await getFiles(deps.dynamodb, deps.table, manifest.entries.map((e) => e.key));
  const counts: Record<EntryOutcome, number> = { published: 0, deleted: 0, superseded: 0, done: 0 };
  const errors: Array<{ key: string; error: unknown }> = [];
  let next = 0;
  const worker = async () => {
    while (next < manifest.entries.length) {
      const entry = manifest.entries[next++]!;
      try {
        counts[await applyEntry(entry, records.get(entry.key), manifest, deps, bytes)] += 1;
      } catch (error) {
        errors.push({ key: entry.key, error });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(deps.concurrency ?? 16, manifest.entries.length) }, worker));
  if (errors.length > 0) {
    const first = errors[0]!;
    const message = `${errors.length} of ${manifest.entries.length} entries of run ${manifest.runId} message ${manifest.seq} failed; first: ${first.key}: ${(first.error as Error).message}`;
    throw errors.every((e) => e.error instanceof PermanentError) ? new PermanentError(message) : new RetryableError(message);
  }
  const counted = await countMessageApplied(deps.dynamodb, deps.table, manifest.runId, manifest.seq, {
    applied: manifest.entries.length,
    published: counts.published,
    deleted: counts.deleted,
    superseded: counts.superseded,
  });
  return { counts, counted };
}

async function applyEntry(
  entry: ManifestEntry,
  initial: IndexFile | undefined,
  manifest: Manifest,
  deps: ApplyDeps,
  bytes: ByteSource,
): Promise<EntryOutcome> {
  let record = initial;
  const decision = decideEntry(entry, record);
  if (decision !== "apply") return decision;
  const relKey = entry.key.slice(manifest.prefix.length);
  for (let chase = 0; chase < MAX_CHASES; chase++) {
    if (!record) {
      // The key left the index while we wrote (a later delete was applied): our write may have landed
      // after that delete, so delete again.
      await deleteKeys(deps, [entry.key, ...rewriteCopies(relKey, manifest.prefix, deps.rules)]);
      return "superseded";
    }
    const desired = record.desired;
    const ours = desired.version === entry.version;
    if (desired.op === "put") {
      const copies = rewriteCopies(relKey, manifest.prefix, deps.rules);
      await writeObject(deps, bytes, record.key, relKey, desired, copies);
      const stale = (record.published?.copies ?? []).filter((c) => !copies.includes(c));
      if (stale.length > 0) await deleteKeys(deps, stale);
      const at = (deps.now?.() ?? new Date()).toISOString();
      if (await markPublished(deps.dynamodb, deps.table, record.key, { version: desired.version, at, run: manifest.runId, copies })) {
        return ours ? "published" : "superseded";
      }
    } else {
      const copies = new Set([...(record.published?.copies ?? []), ...rewriteCopies(relKey, manifest.prefix, deps.rules)]);
      await deleteKeys(deps, [record.key, ...copies]);
      if (await removeTombstone(deps.dynamodb, deps.table, record.key, desired.version)) {
        return ours ? "deleted" : "superseded";
      }
    }
    // The desired state moved on during our write; whatever we wrote may now be wrong. Read it again and
    // make the bucket match it before recording anything.
    record = await getFile(deps.dynamodb, deps.table, entry.key);
  }
  throw new RetryableError(`${entry.key}: the desired version kept changing during ${MAX_CHASES} writes; will retry`);
}

async function writeObject(
  deps: ApplyDeps,
  bytes: ByteSource,
  key: string,
  relKey: string,
  desired: DesiredPut,
  copies: string[],
): Promise<void> {
  const cacheControl = cacheControlFor(relKey, deps.rules);
  const headers = {
    ContentType: desired.contentType,
    ...(cacheControl ? { CacheControl: cacheControl } : {}),
    Metadata: { mtime: formatMtime(desired.mtime), "sitesync-version": desired.version },
  };
  const targets = [key, ...copies];
  if (isPack(desired.source)) {
    const body = await bytes.get(desired.source);
    await Promise.all(targets.map((target) => deps.s3.send(new PutObjectCommand({ Bucket: deps.siteBucket, Key: target, Body: body, ...headers }))));
    return;
  }
  const source = desired.source;
  await Promise.all(
    targets.map((target) =>
      deps.s3.send(
        new CopyObjectCommand({
          Bucket: deps.siteBucket,
          Key: target,
          CopySource: encodeCopySource(deps.versionBucket, source.key),
          MetadataDirective: "REPLACE",
          ...headers,
        }),
      ),
    ),
  );
}

/** Seconds with nine decimals, the `mtime` metadata convention of rclone and s3cmd. */
function formatMtime(mtime: string): string {
  return mtimeToSeconds(mtime).toFixed(9).replace(/\.?0+$/, "");
}

function encodeCopySource(bucket: string, key: string): string {
  return `${bucket}/${key.split("/").map(encodeURIComponent).join("/")}`;
}

// Keys with characters XML 1.0 cannot carry (control characters such as a newline) are deleted one by one:
// DeleteObjects sends keys in an XML body, and the local S3 server silently skips such keys there.
const NOT_XML_SAFE = /[\u0000-\u001f]/;

async function deleteKeys(deps: ApplyDeps, keys: string[]): Promise<void> {
  const single = keys.filter((k) => NOT_XML_SAFE.test(k));
  const batched = keys.filter((k) => !NOT_XML_SAFE.test(k));
  await Promise.all(single.map((Key) => deps.s3.send(new DeleteObjectCommand({ Bucket: deps.siteBucket, Key }))));
  for (let i = 0; i < batched.length; i += 1000) {
    await drainWithBackoff(
      batched.slice(i, i + 1000),
      async (pending) => {
        const res = await deps.s3.send(
          new DeleteObjectsCommand({ Bucket: deps.siteBucket, Delete: { Objects: pending.map((Key) => ({ Key })), Quiet: true } }),
        );
        const failed = res.Errors ?? [];
        const denied = failed.find((e) => e.Code === "AccessDenied");
        if (denied) throw new PermanentError(`DeleteObjects refused ${denied.Key}: AccessDenied`);
        const retry = new Set(failed.map((e) => e.Key));
        return pending.filter((k) => retry.has(k));
      },
      `DeleteObjects in ${deps.siteBucket}`,
    );
  }
}

/**
 * Reads staged bytes. Entries of one message usually sit side by side in one pack, so their whole span is
 * fetched with one ranged GET and sliced; anything else is fetched on its own.
 */
class ByteSource {
  readonly #s3: S3Client;
  readonly #bucket: string;
  readonly #spans = new Map<string, { start: number; end: number; body: Promise<Buffer> }>();

  constructor(s3: S3Client, bucket: string) {
    this.#s3 = s3;
    this.#bucket = bucket;
  }

  prefetch(entries: ManifestEntry[]): void {
    const ranges = new Map<string, { start: number; end: number }>();
    for (const e of entries) {
      if (e.op !== "put" || !isPack(e.source)) continue;
      const r = ranges.get(e.source.key);
      const end = e.source.offset + e.source.length;
      ranges.set(e.source.key, r ? { start: Math.min(r.start, e.source.offset), end: Math.max(r.end, end) } : { start: e.source.offset, end });
    }
    for (const [key, { start, end }] of ranges) {
      if (end - start > MAX_SPAN_BYTES || end === start) continue;
      const body = this.#range(key, start, end);
      body.catch(() => {}); // a failed prefetch is retried per entry by get()
      this.#spans.set(key, { start, end, body });
    }
  }

  async get(location: BytesLocation): Promise<Buffer> {
    if (!isPack(location)) throw new PermanentError(`not a pack location: ${location.key}`);
    if (location.length === 0) return Buffer.alloc(0);
    const span = this.#spans.get(location.key);
    if (span && location.offset >= span.start && location.offset + location.length <= span.end) {
      try {
        const body = await span.body;
        return body.subarray(location.offset - span.start, location.offset - span.start + location.length);
      } catch {
        this.#spans.delete(location.key);
      }
    }
    return this.#range(location.key, location.offset, location.offset + location.length);
  }

  async #range(key: string, start: number, end: number): Promise<Buffer> {
    const res = await this.#s3.send(new GetObjectCommand({ Bucket: this.#bucket, Key: key, Range: `bytes=${start}-${end - 1}` }));
    const body = Buffer.from(await res.Body!.transformToByteArray());
    if (body.length !== end - start) {
      throw new RetryableError(`staged bytes ${key} [${start}, ${end}) came back as ${body.length} bytes`);
    }
    return body;
  }
}
