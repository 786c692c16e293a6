// What a user checks after a sync, for tests that hurt the pipeline on purpose (faults, kills) and for the
// soak (bench/soak.ts): the bucket holds every file of the tree byte for byte and nothing else, and the index
// says exactly that. Everything is read around any fault proxy (the stack's direct clients).
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { ScanCommand } from "@aws-sdk/client-dynamodb";
import { GetObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import type { AwsClients } from "../../aws/clients.ts";
import { directoryEntry, historyVersion, type Item } from "../../aws/index/items.ts";
import type { IndexFile } from "../../core/index-record.ts";
import { rewriteCopies } from "../../core/publish-rules.ts";
import type { StackDefinition } from "../../local/template.ts";

export const md5 = (bytes: Buffer | string): string => createHash("md5").update(bytes).digest("hex");
export const sha256 = (bytes: Buffer | string): string => createHash("sha256").update(bytes).digest("hex");

/**
 * Where the checks read: the servers straight (a LocalStack, or the soak's clients to a cloud-side process)
 * and the names the stack gave its bucket and table.
 */
export interface SiteStore {
  directClients: Pick<AwsClients, "s3" | "dynamodb">;
  definition: Pick<StackDefinition, "siteBucket" | "table" | "publishRules">;
}

/** A file of the tree as the checks compare it: its size and digests (not its bytes: trees can be large). */
export interface FileDigest {
  size: number;
  md5: string;
  sha256: string;
}

/** Every regular file under `root`, by site path ("a/b.txt"), with its size and digests; one file read at a time. */
export function digestTree(root: string): Map<string, FileDigest> {
  const files = new Map<string, FileDigest>();
  for (const entry of readdirSync(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    files.set(relative(root, path).split(sep).join("/"), digestOf(readFileSync(path)));
  }
  return files;
}

export const digestOf = (bytes: Buffer): FileDigest => ({ size: bytes.length, md5: md5(bytes), sha256: sha256(bytes) });

export interface SiteObject {
  key: string;
  size: number;
  /** The ETag without quotes: the MD5 of the bytes for an object written by one PUT or copy. */
  etag: string;
}

/** Every object under `prefix`, each listed exactly once (a listing that repeats or skips a key fails). */
export async function listObjects(stack: SiteStore, prefix: string): Promise<Map<string, SiteObject>> {
  const objects = new Map<string, SiteObject>();
  let token: string | undefined;
  do {
    const page = await stack.directClients.s3.send(
      new ListObjectsV2Command({ Bucket: stack.definition.siteBucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const o of page.Contents ?? []) {
      assert.ok(!objects.has(o.Key!), `${o.Key} listed twice`);
      objects.set(o.Key!, { key: o.Key!, size: o.Size ?? -1, etag: (o.ETag ?? "").replaceAll('"', "") });
    }
    token = page.NextContinuationToken;
  } while (token);
  return objects;
}

/** Every item of the index, read with a parallel Scan. */
async function scanIndex(stack: SiteStore, each: (item: Item) => void): Promise<void> {
  const segments = 4;
  await Promise.all(
    Array.from({ length: segments }, async (_, segment) => {
      let start: Item | undefined;
      do {
        const page = await stack.directClients.dynamodb.send(
          new ScanCommand({
            TableName: stack.definition.table,
            Segment: segment,
            TotalSegments: segments,
            ExclusiveStartKey: start,
            ConsistentRead: true,
          }),
        );
        for (const item of page.Items ?? []) each(item);
        start = page.LastEvaluatedKey;
      } while (start);
    }),
  );
}

/** Every file record of the index under `prefix` (generated listings included, marked so). */
export async function indexRecords(stack: SiteStore, prefix: string): Promise<Map<string, IndexFile>> {
  const records = new Map<string, IndexFile>();
  await scanIndex(stack, (item) => {
    if (!item.pk?.S?.startsWith("d#")) return;
    const entry = directoryEntry(item);
    if (entry.kind === "file" && entry.file.key.startsWith(prefix)) records.set(entry.file.key, entry.file);
  });
  return records;
}

/** Where the index's history says each staged version's bytes are: the version store keys it names. */
export async function stagedSources(stack: SiteStore): Promise<Set<string>> {
  const sources = new Set<string>();
  await scanIndex(stack, (item) => {
    const pk = item.pk?.S ?? "";
    if (!pk.startsWith("h#")) return;
    const { desired } = historyVersion(pk.slice(2), item);
    if (desired.op === "put") sources.add(desired.source.key);
  });
  return sources;
}

export async function getObjectBytes(stack: SiteStore, key: string): Promise<Buffer | undefined> {
  try {
    const res = await stack.directClients.s3.send(
      new GetObjectCommand({ Bucket: stack.definition.siteBucket, Key: key }),
    );
    return Buffer.from(await res.Body!.transformToByteArray());
  } catch (err) {
    if ((err as Error).name === "NoSuchKey") return undefined;
    throw err;
  }
}

export interface SiteCheckOptions {
  /**
   * "get": every object is read and its SHA-256 compared with the file's; "etag": the listing's ETag (the bytes'
   * MD5) is compared with the file's MD5, and only `read` keys are read whole — for trees too big to read each time.
   */
  compare: "get" | "etag";
  read?: Iterable<string>;
}

export interface SiteCheck {
  files: number;
  copies: number;
  listings: number;
  objectsRead: number;
}

/** What differs between the bucket, the index and the tree: every list empty when they agree. */
export interface SiteDivergences {
  /** Objects the tree does not have (nor a listing, a directory marker or the stack's own page). */
  extra: string[];
  /** Files (and rewrite copies) with no object. */
  missing: string[];
  /** Objects whose size, ETag or bytes are not their file's. */
  wrong: string[];
  /** Index records that are not the tree's file as published: tombstones, other digests, unpublished. */
  unsettled: string[];
  /** Files with no index record. */
  unindexed: string[];
}

export const divergenceCount = (d: SiteDivergences): number =>
  d.extra.length + d.missing.length + d.wrong.length + d.unsettled.length + d.unindexed.length;

/**
 * Compares the bucket under `prefix` with the tree (plus the rewrite copies the stack's rules make, PostSync's
 * listings and directory markers), by content, and the index with both: each file at the version the bucket
 * has, as published, with the tree's digest, and nothing else (no tombstone, no record without its file).
 */
export async function siteDivergences(
  stack: SiteStore,
  tree: Map<string, FileDigest>,
  prefix: string,
  options: SiteCheckOptions,
): Promise<SiteCheck & { divergences: SiteDivergences }> {
  const [objects, records] = await Promise.all([listObjects(stack, prefix), indexRecords(stack, prefix)]);
  const rules = stack.definition.publishRules;
  // What each key must hold: its file's bytes, or for a rewrite copy its original's.
  const expected = new Map<string, FileDigest>();
  let copies = 0;
  for (const [rel, digest] of tree) expected.set(prefix + rel, digest);
  for (const [rel, digest] of tree) {
    for (const copy of rewriteCopies(rel, prefix, rules)) {
      if (expected.has(copy)) continue; // a real file keeps its key
      expected.set(copy, digest);
      copies += 1;
    }
  }
  // PostSync's listings, and their rewrite copies (a listing is copied like any file under a rule's prefix).
  const listings = new Set<string>();
  for (const record of records.values()) {
    if (!record.generated) continue;
    listings.add(record.key);
    for (const copy of rewriteCopies(record.key.slice(prefix.length), prefix, rules)) listings.add(copy);
  }
  const directories = new Set<string>();
  for (const key of objects.keys()) {
    for (let slash = key.indexOf("/"); slash !== -1; slash = key.indexOf("/", slash + 1)) {
      directories.add(key.slice(0, slash));
    }
  }
  const extra = [...objects.keys()].filter(
    (k) => !expected.has(k) && !listings.has(k) && !directories.has(k) && !k.startsWith(`${prefix}.sitesync/`),
  );
  const missing = [...expected.keys()].filter((k) => !objects.has(k));

  const read = new Set(options.compare === "get" ? expected.keys() : (options.read ?? []));
  const wrong: string[] = [];
  for (const [key, digest] of expected) {
    const object = objects.get(key);
    if (object && (object.size !== digest.size || object.etag !== digest.md5)) wrong.push(`${key}: size/etag`);
  }
  const toRead = [...read].filter((k) => objects.has(k) && expected.has(k));
  for (let i = 0; i < toRead.length; i += 64) {
    await Promise.all(
      toRead.slice(i, i + 64).map(async (key) => {
        const body = await getObjectBytes(stack, key);
        if (!body || sha256(body) !== expected.get(key)!.sha256) wrong.push(`${key}: bytes`);
      }),
    );
  }

  const unsettled: string[] = [];
  for (const [key, record] of records) {
    if (record.generated) continue;
    const digest = tree.get(key.slice(prefix.length));
    if (!digest) {
      unsettled.push(`${key}: indexed (${record.desired.op}) but not in the tree`);
      continue;
    }
    if (record.desired.op !== "put") unsettled.push(`${key}: a tombstone for a file that exists`);
    else if (record.desired.sha256 !== undefined && record.desired.sha256 !== digest.sha256)
      unsettled.push(`${key}: indexed digest is not the file's`);
    else if (record.desired.size !== digest.size) unsettled.push(`${key}: indexed size is not the file's`);
    if (record.published?.version !== record.desired.version) unsettled.push(`${key}: not published`);
  }
  const unindexed = [...tree.keys()].filter((rel) => !records.has(prefix + rel));
  return {
    files: tree.size,
    copies,
    listings: listings.size,
    objectsRead: toRead.length,
    divergences: { extra, missing, wrong, unsettled, unindexed },
  };
}

/** The same comparison, for tests: each kind of difference fails with the first few named. */
export async function checkSiteEqualsTree(
  stack: SiteStore,
  root: string,
  prefix: string,
  options: SiteCheckOptions,
): Promise<SiteCheck> {
  const { divergences: d, ...check } = await siteDivergences(stack, digestTree(root), prefix, options);
  assert.deepEqual(d.extra, [], "no object in the bucket that the tree does not have");
  assert.deepEqual(d.missing.slice(0, 20), [], `every file is in the bucket (${d.missing.length} missing)`);
  assert.deepEqual(d.wrong.slice(0, 20), [], `every object holds its file's bytes (${d.wrong.length} differ)`);
  assert.deepEqual(d.unsettled.slice(0, 20), [], `the index equals the bucket (${d.unsettled.length} differ)`);
  assert.deepEqual(d.unindexed.slice(0, 20), [], `every file is indexed (${d.unindexed.length} not)`);
  return check;
}
