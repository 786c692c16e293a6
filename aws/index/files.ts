// The index's file records: desired and published state per key, the directories that hold them, and the
// listing pages PostSync generates. Items are grouped by directory so that the agent reads the desired
// state one directory at a time (bounded memory, parallel across directories) and PostSync lists a
// directory with one Query.
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { HostPlanFile } from "../../core/host-plan.ts";
import type { DesiredPut, IndexFile, Published } from "../../core/index-record.ts";
import {
  desiredRunUpdate,
  desiredStatUpdate,
  directoryEntry,
  directoryQuery,
  fileKey,
  fileRecord,
  listingDelete,
  listingPut,
  publishedUpdate,
  tombstoneDelete,
  writeRequest,
} from "./items.ts";
import { batchWrite, deleteIf, getItem, getItems, putIf, queryPages, updateIf } from "./table.ts";
import type { DirectoryEntry, GenerationMark, IndexWrite, ListingRecord } from "./records.ts";
import { advancingGenerations } from "./generations.ts";
import { mapLimit } from "../../core/concurrency.ts";
import { joinKey, splitKey } from "../../core/keys.ts";

// ---- reads ----

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
  for await (const items of queryPages(ddb, table, directoryQuery(dir), consistent)) yield items.map(directoryEntry);
}

export async function getFile(ddb: DynamoDBClient, table: string, key: string): Promise<IndexFile | undefined> {
  const item = await getItem(ddb, table, fileKey(key));
  return item ? fileRecord(item) : undefined;
}

/** Many files at once, strongly consistent; absent keys map to undefined. */
export async function getFiles(
  ddb: DynamoDBClient,
  table: string,
  keys: string[],
): Promise<Map<string, IndexFile | undefined>> {
  const found = new Map<string, IndexFile | undefined>(keys.map((k) => [k, undefined]));
  for (const item of await getItems(ddb, table, [...found.keys()].map(fileKey))) {
    const file = fileRecord(item);
    found.set(file.key, file);
  }
  return found;
}

/** Some entries of directory `dir` by name, strongly consistent; undefined where the index has none. */
export async function getDirectoryFiles(
  ddb: DynamoDBClient,
  table: string,
  dir: string,
  names: string[],
): Promise<Map<string, DirectoryEntry | undefined>> {
  const found = new Map<string, DirectoryEntry | undefined>(names.map((name) => [name, undefined]));
  for (const item of await getItems(
    ddb,
    table,
    names.map((name) => fileKey(joinKey(dir, name))),
  )) {
    const entry = directoryEntry(item);
    found.set(entry.name, entry);
  }
  return found;
}

/** The files of `dir` by key, strongly consistent. */
export async function readFiles(ddb: DynamoDBClient, table: string, dir: string): Promise<Map<string, IndexFile>> {
  const files = new Map<string, IndexFile>();
  for await (const page of queryDirectory(ddb, table, dir, true)) {
    for (const entry of page) if (entry.kind === "file") files.set(entry.file.key, entry.file);
  }
  return files;
}

/**
 * The files of `dir` as the index publishes them now (generated listings left out), each with the version
 * the site bucket holds, whose object can stand in for staged bytes that have expired.
 */
export async function currentFiles(
  ddb: DynamoDBClient,
  table: string,
  dir: string,
  keyPrefix: string,
): Promise<HostPlanFile[]> {
  const files = await readFiles(ddb, table, dir);
  return [...files.values()]
    .filter((f) => f.key.startsWith(keyPrefix) && !f.generated && f.desired.op === "put")
    .map((f) => ({
      key: f.key,
      desired: f.desired as DesiredPut,
      ...(f.published ? { publishedVersion: f.published.version } : {}),
    }));
}

/** Subdirectories of `dir` the index knows now (for a host restore from the current state). */
export async function currentSubdirectories(ddb: DynamoDBClient, table: string, dir: string): Promise<string[]> {
  const dirs: string[] = [];
  for await (const page of queryDirectory(ddb, table, dir, true)) {
    for (const entry of page) if (entry.kind === "dir") dirs.push(dir === "" ? entry.name : `${dir}/${entry.name}`);
  }
  return dirs;
}

// ---- agent writes ----

/**
 * Writes desired records, history, directory markers and adopted listings, every one of them or an error,
 * between the advances of the written directories' generations (generations.ts); returns their marks.
 */
export async function writeIndex(
  ddb: DynamoDBClient,
  table: string,
  writes: Array<{ write: IndexWrite; keepPublished?: Published }>,
): Promise<GenerationMark[]> {
  const requests = writes.map(({ write, keepPublished }) => writeRequest(write, keepPublished));
  const { marks } = await advancingGenerations(ddb, table, directoriesWritten(writes), () =>
    batchWrite(ddb, table, requests),
  );
  return marks;
}

/** The directories whose partitions a batch of writes changes (history lives apart: no replica holds it). */
function directoriesWritten(writes: Array<{ write: IndexWrite }>): Set<string> {
  const dirs = new Set<string>();
  for (const { write } of writes) {
    if (write.kind === "desired" || write.kind === "generated") dirs.add(splitKey(write.key).dir);
    else if (write.kind === "mkdir" || write.kind === "rmdir") dirs.add(write.dir);
  }
  return dirs;
}

/**
 * Records a file's status on the desired put it already is, with no new version (returns false when
 * `version` is no longer the desired put): the mtime, ctime and inode a restored file really got on disk
 * (the host cannot always set nanoseconds, and a written file is a new inode), so the next sync sees no
 * change; the ctime and inode of an adopted or older record; the new mtime, ctime and inode of a file
 * uploaded again with the same bytes (its digest equal to the version's).
 */
export async function setDesiredStat(
  ddb: DynamoDBClient,
  table: string,
  key: string,
  version: string,
  stat: { mtime: string; ctime?: string; ino?: string },
): Promise<boolean> {
  return (await setDesiredStats(ddb, table, [{ key, version, stat }])).done[0] ?? false;
}

/**
 * setDesiredStat for many records at once, between one pair of advances of their directories' generations
 * (a mass re-upload touches every file of a directory: two advances per directory, not per file); `done`
 * in the records' order, and the marks, for the host's replica.
 */
export async function setDesiredStats(
  ddb: DynamoDBClient,
  table: string,
  records: Array<{ key: string; version: string; stat: { mtime: string; ctime?: string; ino?: string } }>,
): Promise<{ done: boolean[]; marks: GenerationMark[] }> {
  const dirs = records.map((r) => splitKey(r.key).dir);
  const { value, marks } = await advancingGenerations(ddb, table, dirs, () =>
    mapLimit(records, UPDATES_IN_FLIGHT, (r) => updateIf(ddb, table, desiredStatUpdate(r.key, r.version, r.stat))),
  );
  return { done: value, marks };
}

/** Desired records updated at once. */
const UPDATES_IN_FLIGHT = 16;

/**
 * Moves desired records to the run re-sending them, so their resend delay counts from this sending; each
 * only while its `version` is still the desired one (`moved` says which were).
 */
export async function setDesiredRuns(
  ddb: DynamoDBClient,
  table: string,
  records: Array<{ key: string; version: string }>,
  run: string,
): Promise<{ moved: boolean[]; marks: GenerationMark[] }> {
  const dirs = records.map((r) => splitKey(r.key).dir);
  const { value, marks } = await advancingGenerations(ddb, table, dirs, () =>
    mapLimit(records, UPDATES_IN_FLIGHT, (r) => updateIf(ddb, table, desiredRunUpdate(r.key, r.version, run))),
  );
  return { moved: value, marks };
}

// ---- apply handler writes ----

/** Records `version` as published, unless the desired version moved on meanwhile (returns false). */
export function markPublished(ddb: DynamoDBClient, table: string, key: string, published: Published): Promise<boolean> {
  return updateIf(ddb, table, publishedUpdate(key, published));
}

/** Removes the tombstone of an applied delete, unless the desired state moved on (returns false). */
export function removeTombstone(ddb: DynamoDBClient, table: string, key: string, version: string): Promise<boolean> {
  return deleteIf(ddb, table, tombstoneDelete(key, version));
}

// ---- PostSync's listings ----

/** Records a generated listing; false when a real file holds its key (indexed while it was written). */
export function putListing(ddb: DynamoDBClient, table: string, listing: ListingRecord): Promise<boolean> {
  return putIf(ddb, table, listingPut(listing));
}

/** Forgets a generated listing; a real file that took its key stays. */
export async function removeListing(ddb: DynamoDBClient, table: string, key: string): Promise<void> {
  await deleteIf(ddb, table, listingDelete(key));
}
