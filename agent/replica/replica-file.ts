// The replica's file, stateDir/index-replica.db: SQLite through agent/sqlite.ts (node:sqlite, inside Node
// itself, so the one-file agent bundle carries it). It is opened only when it is whole (SQLite's quick
// check) and a copy of this very index (table, region, endpoint, site prefix, the table's epoch) in this
// schema. Anything else — no file, a corrupt one, another index's, an older schema — is replaced by an
// empty replica, in which no directory is current: each is read from DynamoDB once, as without a replica.
//
// Writes are transactions in WAL mode: an agent killed mid-write leaves the last committed state, which
// the directory generations (aws/index/generations.ts) then judge like any other.
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { DatabaseSync } from "node:sqlite";
import { errorMessage } from "../../core/errors.ts";
import { openDatabase } from "../sqlite.ts";
import { ENTRY_COLUMNS } from "./rows.ts";

export const REPLICA_FILE = "index-replica.db";

/** Raised when the tables below change; a replica of another version is rebuilt. */
const SCHEMA_VERSION = "2";

/** Which index a replica copies. */
export interface ReplicaIdentity {
  table: string;
  region: string;
  /** The DynamoDB endpoint when not AWS's (the local stack); "" otherwise. */
  endpoint: string;
  prefix: string;
  /** The table's epoch (aws/index/generations.ts); undefined when the table has none yet (a dry run). */
  epoch: string | undefined;
}

const COLUMN_TYPES: Record<string, string> = { sk: "sk TEXT NOT NULL", pending: "pending INTEGER NOT NULL" };

// entries: every item of the directory partitions read or written, keyed as DynamoDB keys them; BINARY
// order on UTF-8 text is DynamoDB's byte order, so a directory's rows come in the order the diff merges.
// directories: the generation each directory's rows are current at; NULL when they may not be. `seen`: the
// fingerprint of the scan that last found the directory all unchanged (agent/sync/diff.ts), cleared by any
// change to its rows.
const SCHEMA = `
CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE directories (dir TEXT PRIMARY KEY, generation INTEGER, seen TEXT) WITHOUT ROWID;
CREATE TABLE entries (
  dir TEXT NOT NULL,
  ${ENTRY_COLUMNS.map((c) => COLUMN_TYPES[c] ?? c).join(",\n  ")},
  PRIMARY KEY (dir, sk)
) WITHOUT ROWID;
CREATE INDEX entries_pending ON entries (run) WHERE pending = 1;
`;

export interface OpenedReplica {
  db: DatabaseSync;
  path: string;
  /** Why the replica was made afresh; undefined when the existing one was opened. */
  rebuilt?: string;
}

/** Opens the replica in `stateDir` for `identity`, or makes an empty one (saying why). */
export function openReplicaFile(stateDir: string, identity: ReplicaIdentity): OpenedReplica {
  const path = join(stateDir, REPLICA_FILE);
  let problem = "there was none (the first run with this state directory, or the file was removed)";
  if (existsSync(path)) {
    let db: DatabaseSync | undefined;
    try {
      db = openDatabase(path);
      configure(db);
      problem = mismatch(db, identity) ?? "";
      if (problem === "") return { db, path };
    } catch (err) {
      problem = `it could not be read: ${errorMessage(err)}`;
    }
    try {
      db?.close();
    } catch {
      // Closing a broken database: nothing more to do with it.
    }
  }
  removeReplicaFiles(path);
  const db = openDatabase(path);
  configure(db);
  db.exec("BEGIN");
  db.exec(SCHEMA);
  const put = db.prepare("INSERT INTO meta (name, value) VALUES (?, ?)");
  for (const [name, value] of Object.entries(metaOf(identity))) put.run(name, value);
  db.exec("COMMIT");
  return { db, path, rebuilt: problem };
}

/** Removes the replica and SQLite's files beside it. */
export function removeReplicaFiles(path: string): void {
  for (const suffix of ["", "-wal", "-shm", "-journal"]) rmSync(`${path}${suffix}`, { force: true });
}

function configure(db: DatabaseSync): void {
  db.exec("PRAGMA journal_mode = WAL");
  // In WAL mode NORMAL never corrupts: a power cut loses at most the last transactions, in order.
  db.exec("PRAGMA synchronous = NORMAL");
}

function metaOf(identity: ReplicaIdentity): Record<string, string> {
  return {
    schema: SCHEMA_VERSION,
    table: identity.table,
    region: identity.region,
    endpoint: identity.endpoint,
    prefix: identity.prefix,
    epoch: identity.epoch ?? "",
  };
}

/** Why an opened replica must not be used, if it must not. */
function mismatch(db: DatabaseSync, identity: ReplicaIdentity): string | undefined {
  const check = db.prepare("PRAGMA quick_check(1)").get() as { quick_check?: string } | undefined;
  if (check?.quick_check !== "ok") return `it is damaged (SQLite quick_check: ${check?.quick_check ?? "no answer"})`;
  const rows = db.prepare("SELECT name, value FROM meta").all() as Array<{ name: string; value: string }>;
  const meta = Object.fromEntries(rows.map((r) => [r.name, r.value]));
  const want = metaOf(identity);
  if (meta.schema !== want.schema) return `it has schema ${meta.schema ?? "unknown"}; this agent keeps ${want.schema}`;
  for (const field of ["table", "region", "endpoint", "prefix"] as const) {
    if (meta[field] !== want[field]) {
      const [was, is] = [JSON.stringify(meta[field]), JSON.stringify(want[field])];
      return `it copies another index (${field} ${was}, this run ${is})`;
    }
  }
  if (identity.epoch === undefined) return "the index has no epoch yet (a dry run does not make one)";
  if (meta.epoch !== want.epoch) return "the index table was made again since the replica copied it (another epoch)";
  return undefined;
}
