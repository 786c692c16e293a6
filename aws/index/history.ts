// The index's version history: every staged version of every key, and the directories that have any, so a
// restore reaches directories that no longer exist without listing the bucket. What a restore must do to
// the keys of a directory is read here too, by the rules of core/restore-rules.ts, so the site restore
// (Lambda) and the host restore (agent) agree on what a point in time means.
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { IndexFile } from "../../core/index-record.ts";
import { decideRestore, versionAsOf, type KeyVersion, type RestoreAction } from "../../core/restore-rules.ts";
import { readFiles } from "./files.ts";
import { historyDir, historyDirsQuery, historyQuery, historyVersion } from "./items.ts";
import { queryAll } from "./table.ts";
import type { HistoryVersion } from "./records.ts";

/** Every retained version of every key of one directory, oldest first per key. */
export async function queryHistory(ddb: DynamoDBClient, table: string, dir: string): Promise<HistoryVersion[]> {
  const versions = await queryAll(ddb, table, historyQuery(dir), (item) => historyVersion(dir, item));
  return versions.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
}

/** Directories at or below `dir` that have history (restore's enumeration; no bucket listing). */
export function queryHistoryDirs(ddb: DynamoDBClient, table: string, dir: string): Promise<string[]> {
  return queryAll(ddb, table, historyDirsQuery(dir), historyDir);
}

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
    const decision = decideRestore(versionAsOf(versions.get(key) ?? [], asOf), now, retainedSince);
    return { key, decision, ...(now ? { current: now } : {}) };
  });
}
