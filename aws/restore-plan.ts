// What a restore must do to the keys of one directory: from the key's retained versions (history) and
// its current index record, by the rules of core/restore-rules.ts. Shared by the site restore (Lambda)
// and the host restore (agent), so both agree on what a point in time means.
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { HostPlanFile } from "../core/host-plan.ts";
import type { DesiredPut, IndexFile } from "../core/index-record.ts";
import { decideRestore, versionAsOf, type KeyVersion, type RestoreAction } from "../core/restore-rules.ts";
import { queryDirectory, queryHistory } from "./index-table.ts";

export interface KeyRestore {
  key: string;
  decision: RestoreAction;
  current?: IndexFile;
}

/** Every key of `dir` under `keyPrefix` with what restoring it to `asOf` takes. */
export async function planDirectoryRestore(
  ddb: DynamoDBClient,
  table: string,
  dir: string,
  keyPrefix: string,
  asOf: string,
  /** ISO time before which staged bytes have expired (now − retention). */
  retainedSince?: string,
): Promise<KeyRestore[]> {
  const [history, current] = await Promise.all([queryHistory(ddb, table, dir), readFiles(ddb, table, dir)]);
  const versions = new Map<string, KeyVersion[]>();
  for (const h of history) {
    const list = versions.get(h.key) ?? [];
    list.push({ desired: h.desired, at: h.at });
    versions.set(h.key, list);
  }
  const keys = [...new Set([...versions.keys(), ...current.keys()])].filter((k) => k.startsWith(keyPrefix)).sort();
  return keys.map((key) => {
    const now = current.get(key);
    return { key, decision: decideRestore(versionAsOf(versions.get(key) ?? [], asOf), now, retainedSince), ...(now ? { current: now } : {}) };
  });
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

async function readFiles(ddb: DynamoDBClient, table: string, dir: string): Promise<Map<string, IndexFile>> {
  const files = new Map<string, IndexFile>();
  for await (const page of queryDirectory(ddb, table, dir, true)) {
    for (const entry of page) if (entry.kind === "file") files.set(entry.file.key, entry.file);
  }
  return files;
}

/** Subdirectories of `dir` the index knows now (for a host restore from the current state). */
export async function currentSubdirectories(ddb: DynamoDBClient, table: string, dir: string): Promise<string[]> {
  const dirs: string[] = [];
  for await (const page of queryDirectory(ddb, table, dir, true)) {
    for (const entry of page) if (entry.kind === "dir") dirs.push(dir === "" ? entry.name : `${dir}/${entry.name}`);
  }
  return dirs;
}
