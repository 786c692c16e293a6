import { getFile, getFiles, markPublished, removeTombstone } from "../../aws/index/files.ts";
import { countMessageApplied } from "../../aws/index/runs.ts";
import {
  copyToSite,
  deleteSiteObjects,
  headSiteObject,
  MULTIPART_COPY,
  putSiteObject,
  siteObject,
  type MultipartCopyOptions,
} from "../../aws/site-bucket.ts";
import { PackReader } from "../../aws/version-store.ts";
import {
  decideEntry,
  holdsWant,
  isRealFile,
  sameWant,
  wantAt,
  type ObjectHead,
  type PutFile,
  type Want,
} from "../../core/apply-rules.ts";
import { mapLimit } from "../../core/concurrency.ts";
import { PermanentError, RetryableError } from "../../core/errors.ts";
import { isPack, type IndexFile } from "../../core/index-record.ts";
import type { Logger } from "../../core/logger.ts";
import type { Manifest, ManifestEntry } from "../../core/manifest.ts";
import { cacheControlFor, originalsOf, rewriteCopies } from "../../core/publish-rules.ts";
import type { SiteDeps } from "../site-deps.ts";

export interface ApplyDeps extends SiteDeps {
  logger: Logger;
  /** Entries of one message applied at once. */
  concurrency?: number;
  now?: () => Date;
  /** When staged objects are copied in parts (default: above 5 GiB, what one CopyObject can copy). */
  multipartCopy?: MultipartCopyOptions;
  /** Told what became of the message's entries when they were tried, failed ones included: the metrics. */
  onEntries?: (counts: Record<EntryOutcome, number>, failed: number) => void;
}

export type EntryOutcome = "published" | "deleted" | "superseded" | "done";

export interface ManifestOutcome {
  counts: Record<EntryOutcome, number>;
  /** Rewrite copies not written or not deleted because the index holds their key as a real file. */
  conflicts: number;
  /** Keys whose object was not what the index wants (a late write, or a newer version ahead) and were written. */
  repaired: number;
  /** False when this message had been counted before (a redelivery). */
  counted: boolean;
}

/** How many times one key chases a desired state that keeps moving before giving up for now. */
const MAX_CHASES = 5;

export async function applyManifest(manifest: Manifest, deps: ApplyDeps): Promise<ManifestOutcome> {
  const bytes = new PackReader(deps.s3, deps.versionBucket);
  const digests = new Map<string, string>();
  for (const e of manifest.entries) if (e.op === "put" && e.sha256) digests.set(digestKey(e.key, e.version), e.sha256);
  const ctx: Context = { deps, manifest, bytes, digests, conflicts: 0, repaired: 0 };
  bytes.prefetch(manifest.entries.flatMap((e) => (e.op === "put" ? [e.source] : [])));
  const records = await getFiles(
    deps.dynamodb,
    deps.table,
    manifest.entries.map((e) => e.key),
  );
  const counts: Record<EntryOutcome, number> = { published: 0, deleted: 0, superseded: 0, done: 0 };
  // Every entry is tried, whatever the others do: one failing key must not keep the rest of the message
  // from the bucket, so failures are collected rather than stopping the map.
  const errors: Array<{ key: string; error: unknown }> = [];
  await mapLimit(manifest.entries, deps.concurrency ?? 16, async (entry) => {
    try {
      counts[await applyEntry(entry, records.get(entry.key), ctx)] += 1;
    } catch (error) {
      errors.push({ key: entry.key, error });
    }
  });
  deps.onEntries?.(counts, errors.length);
  if (errors.length > 0) {
    const first = errors[0]!;
    const message =
      `${errors.length} of ${manifest.entries.length} entries of run ${manifest.runId} message ${manifest.seq} ` +
      `failed; first: ${first.key}: ${(first.error as Error).message}`;
    throw errors.every((e) => e.error instanceof PermanentError)
      ? new PermanentError(message)
      : new RetryableError(message);
  }
  const counted = await countMessageApplied(deps.dynamodb, deps.table, manifest.runId, manifest.seq, {
    applied: manifest.entries.length,
    published: counts.published,
    deleted: counts.deleted,
    superseded: counts.superseded,
    conflicts: ctx.conflicts,
  });
  return { counts, conflicts: ctx.conflicts, repaired: ctx.repaired, counted };
}

interface Context {
  deps: ApplyDeps;
  manifest: Manifest;
  bytes: PackReader;
  /** The SHA-256 each put entry of the message carries, by key and version. */
  digests: Map<string, string>;
  conflicts: number;
  repaired: number;
}

const digestKey = (key: string, version: string) => `${key}\n${version}`;

const relKey = (ctx: Context, key: string): string => key.slice(ctx.manifest.prefix.length);
const copiesOf = (ctx: Context, key: string): string[] =>
  rewriteCopies(relKey(ctx, key), ctx.manifest.prefix, ctx.deps.rules);

async function applyEntry(entry: ManifestEntry, record: IndexFile | undefined, ctx: Context): Promise<EntryOutcome> {
  const decision = decideEntry(entry, record);
  if (decision === "apply") return applyDesired(record!, entry.version, ctx);
  await verifyEntry(entry.key, ctx);
  return decision;
}

/**
 * Makes the bucket hold the desired state of `initial.key` (and its copies) and records it, conditionally
 * on the desired version; if it moved on during the write, writes the new one before recording anything.
 */
async function applyDesired(initial: IndexFile, entryVersion: string | undefined, ctx: Context): Promise<EntryOutcome> {
  const { deps } = ctx;
  const key = initial.key;
  let record: IndexFile | undefined = initial;
  for (let chase = 0; chase < MAX_CHASES; chase++) {
    if (!record || record.generated) {
      // The key left the index while we wrote (a later delete was applied; a listing may have replaced it):
      // our write may have landed after that delete. Make the key and its copies what the index now wants.
      await Promise.all([key, ...copiesOf(ctx, key)].map((k) => settle(k, ctx)));
      return "superseded";
    }
    const ours = record.desired.version === entryVersion;
    if (isRealFile(record)) {
      if (await publish(record, ctx)) return ours ? "published" : "superseded";
    } else if (await unpublish(record, ctx)) {
      return ours ? "deleted" : "superseded";
    }
    // The desired state moved on during our write; whatever we wrote may now be wrong. Read it again and
    // make the bucket match it before recording anything.
    record = await getFile(deps.dynamodb, deps.table, key);
  }
  throw new RetryableError(`${key}: the desired version kept changing during ${MAX_CHASES} writes; will retry`);
}

/** Writes a real file and the copies it may have, then records it; false if the desired version moved on. */
async function publish(record: PutFile, ctx: Context): Promise<boolean> {
  const { deps } = ctx;
  const copies = copiesOf(ctx, record.key);
  const stale = (record.published?.copies ?? []).filter((c) => !copies.includes(c));
  const others = await getFiles(deps.dynamodb, deps.table, [...copies, ...stale]);
  const free = copies.filter((c) => !isRealFile(others.get(c)));
  reportConflicts(
    record.key,
    copies.filter((c) => isRealFile(others.get(c))),
    "not written",
    ctx,
  );
  // A copy the rules no longer name is removed, unless its key has become a real file meanwhile.
  const unnamed = stale.filter((c) => !isRealFile(others.get(c)));
  await writeVersion(record, [{ key: record.key, copy: false }, ...free.map((key) => ({ key, copy: true }))], ctx);
  await deleteSiteObjects(deps.s3, deps.siteBucket, unnamed);
  const at = (deps.now?.() ?? new Date()).toISOString();
  const published = { version: record.desired.version, at, run: ctx.manifest.runId, copies: free };
  if (!(await markPublished(deps.dynamodb, deps.table, record.key, published))) return false;
  const copied: Want = { kind: "copy", of: record };
  await verifyWritten([...free.map((key) => ({ key, wrote: copied })), ...absent(unnamed)], ctx);
  return true;
}

/** Deletes a key and its copies, then its tombstone; false if the desired state moved on. */
async function unpublish(record: IndexFile, ctx: Context): Promise<boolean> {
  const { deps } = ctx;
  const named = copiesOf(ctx, record.key);
  const copies = [...new Set([...(record.published?.copies ?? []), ...named])];
  const others = await getFiles(deps.dynamodb, deps.table, copies);
  const free = copies.filter((c) => !isRealFile(others.get(c)));
  reportConflicts(
    record.key,
    named.filter((c) => isRealFile(others.get(c))),
    "not deleted",
    ctx,
  );
  await deleteSiteObjects(deps.s3, deps.siteBucket, [record.key, ...free]);
  if (!(await removeTombstone(deps.dynamodb, deps.table, record.key, record.desired.version))) return false;
  // The key may be where a live original's copy belongs (a real file there kept it out until now), and a
  // copy key may have become a real file while we deleted: each gets what the index now wants.
  const copyTarget = originalsOf(relKey(ctx, record.key), ctx.manifest.prefix, deps.rules).length > 0;
  await verifyWritten(absent(copyTarget ? [record.key, ...free] : free), ctx);
  return true;
}

const absent = (keys: string[]): Array<{ key: string; wrote: Want }> =>
  keys.map((key) => ({ key, wrote: { kind: "absent" } }));

function reportConflicts(original: string, copies: string[], what: string, ctx: Context): void {
  for (const copy of copies) {
    ctx.conflicts += 1;
    ctx.deps.logger.warn(`rewrite copy ${what}: the index holds its key as a real file`, {
      key: original,
      copy,
      runId: ctx.manifest.runId,
    });
  }
}

/**
 * An entry that was not applied (superseded or a duplicate) checks the bucket: the key and its copies must
 * hold what the index wants. What does not is written (or deleted) the way a normal apply would.
 */
async function verifyEntry(key: string, ctx: Context): Promise<void> {
  const keys = [key, ...copiesOf(ctx, key)];
  const [wants, heads] = await Promise.all([
    readWants(keys, ctx),
    Promise.all(keys.map((k) => headSiteObject(ctx.deps.s3, ctx.deps.siteBucket, k))),
  ]);
  await Promise.all(
    keys.map(async (k, i) => {
      const want = wants.get(k)!;
      const head = heads[i];
      if (holdsWant(want, head)) return;
      ctx.repaired += 1;
      ctx.deps.logger.warn("object is not what the index wants; writing it", describeRepair(k, want, head, ctx));
      // The entry's own key is repaired through the normal apply, which also records it.
      const ownKey = k === key && want.kind !== "copy";
      const record = ownKey ? await getFile(ctx.deps.dynamodb, ctx.deps.table, k) : undefined;
      if (record && !record.generated) await applyDesired(record, undefined, ctx);
      else await settle(k, ctx);
    }),
  );
}

function describeRepair(key: string, want: Want, head: ObjectHead | undefined, ctx: Context): Record<string, unknown> {
  const wanted =
    want.kind === "file"
      ? { version: want.file.desired.version }
      : want.kind === "copy"
        ? { copyOf: want.of.key, version: want.of.desired.version }
        : {};
  return { key, runId: ctx.manifest.runId, want: want.kind, ...wanted, found: head ?? null };
}

/** What the index wants at each key: its own record, or else the records of the originals copied onto it. */
async function readWants(keys: string[], ctx: Context): Promise<Map<string, Want>> {
  const { deps } = ctx;
  const records = await getFiles(deps.dynamodb, deps.table, keys);
  const originalsOfKey = (k: string) =>
    records.get(k) ? [] : originalsOf(relKey(ctx, k), ctx.manifest.prefix, deps.rules);
  const originals = new Map(keys.map((k) => [k, originalsOfKey(k)]));
  const missing = [...new Set([...originals.values()].flat())].filter((k) => !records.has(k));
  const more = await getFiles(deps.dynamodb, deps.table, missing);
  const lookup = (k: string) => records.get(k) ?? more.get(k);
  return new Map(keys.map((k) => [k, wantAt(records.get(k), originals.get(k)!.map(lookup))]));
}

/**
 * Makes one key hold what the index wants, then reads the index again: a want that moved on during the
 * write is written too, so the last writer also verifies last. Records nothing.
 */
async function settle(key: string, ctx: Context): Promise<void> {
  await verifyWritten([{ key, wrote: undefined }], ctx);
}

/**
 * For keys just written (or deleted; undefined: not yet written): where the index now wants something else,
 * write that, and check again, until it holds.
 */
async function verifyWritten(written: Array<{ key: string; wrote: Want | undefined }>, ctx: Context): Promise<void> {
  if (written.length === 0) return;
  const first = await readWants(
    written.map((w) => w.key),
    ctx,
  );
  await Promise.all(
    written.map(async ({ key, wrote }) => {
      let want = first.get(key)!;
      let done = wrote;
      for (let chase = 0; chase < MAX_CHASES; chase++) {
        if (done && sameWant(done, want)) return;
        await writeWant(key, want, ctx);
        done = want;
        want = (await readWants([key], ctx)).get(key)!;
      }
      throw new RetryableError(`${key}: what the index wants kept changing during ${MAX_CHASES} writes; will retry`);
    }),
  );
}

async function writeWant(key: string, want: Want, ctx: Context): Promise<void> {
  switch (want.kind) {
    case "file":
      if (want.file.desired.source.key === "") {
        ctx.deps.logger.error("adopted object missing from the bucket; its bytes were never staged", { key });
        return;
      }
      return writeVersion(want.file, [{ key, copy: false }], ctx);
    case "copy":
      return writeVersion(want.of, [{ key, copy: true }], ctx);
    case "absent":
      return deleteSiteObjects(ctx.deps.s3, ctx.deps.siteBucket, [key]);
    case "listing":
      return; // PostSync writes listings and their copies
  }
}

/**
 * Writes the desired version of `file` to each target: its own key, or a copy's key (marked as a copy).
 * Bytes are checked against the SHA-256 the agent took as it read the file (the index record's, or for a
 * record an older agent wrote without one, the entry's): a pack range that is not those bytes is refused
 * before anything is written, and the site PUT carries the digest so S3 checks the body too.
 */
async function writeVersion(
  file: PutFile,
  targets: Array<{ key: string; copy: boolean }>,
  ctx: Context,
): Promise<void> {
  const { deps } = ctx;
  const sha256 = file.desired.sha256 ?? ctx.digests.get(digestKey(file.key, file.desired.version));
  const desired = sha256 === undefined ? file.desired : { ...file.desired, sha256 };
  const cacheControl = cacheControlFor(relKey(ctx, file.key), deps.rules);
  const object = (copy: boolean) => siteObject(desired, cacheControl, copy ? file.key : undefined);
  if (isPack(desired.source)) {
    const body = await ctx.bytes.get(desired.source, sha256);
    await Promise.all(targets.map((t) => putSiteObject(deps.s3, deps.siteBucket, t.key, body, object(t.copy))));
    return;
  }
  // An adopted version was never staged: its bytes are the original's object in the site bucket.
  const adopted = desired.source.key === "";
  const source = adopted
    ? { bucket: deps.siteBucket, key: file.key, size: desired.size }
    : { bucket: deps.versionBucket, key: desired.source.key, size: desired.size };
  const multipart = deps.multipartCopy ?? MULTIPART_COPY;
  await Promise.all(
    targets
      .filter((t) => !(adopted && t.key === file.key))
      .map((t) => copyToSite(deps.s3, deps.siteBucket, t.key, source, object(t.copy), multipart)),
  );
}
