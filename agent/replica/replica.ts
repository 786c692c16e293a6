// The host's replica of the index, as a store: a directory's rows in, a directory's rows out, the
// generations they are current at, and what the agent wrote. It decides nothing (freshness.ts says which
// directories are current, agent/sync/diff.ts what the rows mean). Every change is one transaction.
//
// A replica that fails mid-run (a disk error, corruption SQLite finds) is closed and removed at once and
// answers nothing for the rest of the run: every directory not yet decided is read from DynamoDB, and the
// next run starts an empty replica. Dropping it can only cost reads, never a wrong decision.
import type { DatabaseSync, SQLOutputValue, StatementSync } from "node:sqlite";
import type { DirectoryEntry, IndexWrite } from "../../aws/index/records.ts";
import { errorMessage } from "../../core/errors.ts";
import type { Published } from "../../core/index-record.ts";
import { splitKey } from "../../core/keys.ts";
import type { Logger } from "../../core/logger.ts";
import { removeReplicaFiles } from "./replica-file.ts";
import { ENTRY_COLUMNS, entryRow, rowEntry } from "./rows.ts";

const COLUMNS = ENTRY_COLUMNS.join(", ");
const PLACEHOLDERS = ENTRY_COLUMNS.map(() => "?").join(", ");

export class IndexReplica {
  readonly path: string;
  readonly #logger: Logger;
  #db: DatabaseSync | undefined;
  #statements = new Map<string, StatementSync>();

  constructor(db: DatabaseSync, path: string, logger: Logger) {
    this.#db = db;
    this.path = path;
    this.#logger = logger;
  }

  /** False once the replica failed and was dropped. */
  get usable(): boolean {
    return this.#db !== undefined;
  }

  /** The generation each known directory's rows are current at (null: not known current). */
  generations(): Map<string, number | null> {
    return this.#guard(new Map(), () => {
      const rows = this.#sql("SELECT dir, generation FROM directories").all();
      return new Map(rows.map((r) => [r.dir as string, r.generation as number | null]));
    });
  }

  /** The fingerprint of the scan that last found each directory all unchanged, its rows untouched since. */
  seen(): Map<string, string> {
    return this.#guard(new Map(), () => {
      const rows = this.#sql("SELECT dir, seen FROM directories WHERE seen IS NOT NULL").all();
      return new Map(rows.map((r) => [r.dir as string, r.seen as string]));
    });
  }

  /** Records the fingerprints of directories found all unchanged against their current rows. */
  setSeen(prints: Map<string, string>): void {
    this.#guard(undefined, () =>
      this.#transaction(() => {
        const set = this.#sql("UPDATE directories SET seen = ? WHERE dir = ?");
        for (const [dir, print] of prints) set.run(print, dir);
      }),
    );
  }

  /** The rows of `dir` in DynamoDB's sort-key order, or undefined if the replica failed. */
  entries(dir: string): DirectoryEntry[] | undefined {
    return this.#guard(undefined, () => {
      const select = this.#sql(`SELECT ${COLUMNS} FROM entries WHERE dir = ? ORDER BY sk`, true);
      return select.all(dir).map((r) => rowEntry(dir, r as unknown as SQLOutputValue[]));
    });
  }

  /** The rows of `dir` replaced by what DynamoDB holds, current at `generation` (null: not known current). */
  replaceDirectory(dir: string, entries: DirectoryEntry[], generation: number | null): void {
    this.#guard(undefined, () =>
      this.#transaction(() => {
        this.#sql("DELETE FROM entries WHERE dir = ?").run(dir);
        const insert = this.#sql(`INSERT INTO entries (dir, ${COLUMNS}) VALUES (?, ${PLACEHOLDERS})`);
        for (const entry of entries) insert.run(dir, ...entryRow(entry));
        this.#setGeneration(dir, generation);
      }),
    );
  }

  /** Some files' rows of `dir` replaced by what DynamoDB holds (undefined: no item), the directory's rest kept. */
  replaceFiles(dir: string, files: Map<string, DirectoryEntry | undefined>): void {
    this.#guard(undefined, () =>
      this.#transaction(() => {
        const remove = this.#sql("DELETE FROM entries WHERE dir = ? AND sk = ?");
        const insert = this.#sql(`INSERT INTO entries (dir, ${COLUMNS}) VALUES (?, ${PLACEHOLDERS})`);
        for (const [name, entry] of files) {
          remove.run(dir, name);
          if (entry) insert.run(dir, ...entryRow(entry));
        }
        this.#unsee(dir);
      }),
    );
  }

  /** What the agent's own run wrote to DynamoDB (after DynamoDB took it), as DynamoDB now holds it. */
  applyWrites(writes: Array<{ write: IndexWrite; keepPublished?: Published }>): void {
    this.#guard(undefined, () =>
      this.#transaction(() => {
        const upsert = this.#sql(`INSERT OR REPLACE INTO entries (dir, ${COLUMNS}) VALUES (?, ${PLACEHOLDERS})`);
        const remove = this.#sql("DELETE FROM entries WHERE dir = ? AND sk = ?");
        for (const { write, keepPublished } of writes) {
          if (write.kind !== "history" && write.kind !== "historyDir") {
            this.#unsee("dir" in write ? write.dir : splitKey(write.key).dir);
          }
          switch (write.kind) {
            case "desired": {
              // A PutItem: the whole item replaced, the earlier publication kept only as passed along.
              const { dir, name } = splitKey(write.key);
              const file = {
                key: write.key,
                desired: write.desired,
                ...(keepPublished ? { published: keepPublished } : {}),
              };
              upsert.run(dir, ...entryRow({ kind: "file", name, file }));
              break;
            }
            case "generated": {
              const { dir, name } = splitKey(write.key);
              const file = { key: write.key, desired: write.desired, published: write.published, generated: true };
              const hash = write.hash !== undefined ? { listingHash: write.hash } : {};
              upsert.run(dir, ...entryRow({ kind: "file", name, file, ...hash }));
              break;
            }
            case "mkdir":
              upsert.run(write.dir, ...entryRow({ kind: "dir", name: write.name }));
              break;
            case "rmdir":
              remove.run(write.dir, `${write.name}/`);
              break;
            case "history":
            case "historyDir":
              break;
          }
        }
      }),
    );
  }

  /** Desired records DynamoDB moved to the run re-sending them. */
  moveToRun(keys: string[], run: string): void {
    this.#guard(undefined, () =>
      this.#transaction(() => {
        const update = this.#sql("UPDATE entries SET run = ? WHERE dir = ? AND sk = ?");
        for (const key of keys) {
          const { dir, name } = splitKey(key);
          update.run(run, dir, name);
          this.#unsee(dir);
        }
      }),
    );
  }

  /** Files' mtime, ctime and inode recorded on the desired put `version` each already is. */
  setStats(
    stats: Array<{ key: string; version: string; stat: { mtime: string; ctime?: string; ino?: string } }>,
  ): void {
    this.#guard(undefined, () =>
      this.#transaction(() => {
        const update = this.#sql(
          "UPDATE entries SET mtime = ?, ctime = coalesce(?, ctime), ino = coalesce(?, ino) " +
            "WHERE dir = ? AND sk = ? AND v = ? AND op = 'put'",
        );
        for (const { key, version, stat } of stats) {
          const { dir, name } = splitKey(key);
          update.run(stat.mtime, stat.ctime ?? null, stat.ino ?? null, dir, name, version);
          this.#unsee(dir);
        }
      }),
    );
  }

  setGenerations(generations: Map<string, number | null>): void {
    this.#guard(undefined, () =>
      this.#transaction(() => {
        for (const [dir, generation] of generations) this.#setGeneration(dir, generation);
      }),
    );
  }

  /** Runs whose desired records the replica holds as not yet published. */
  pendingRuns(): string[] {
    return this.#guard([], () =>
      this.#sql("SELECT DISTINCT run FROM entries WHERE pending = 1")
        .all()
        .map((r) => r.run as string),
    );
  }

  /**
   * A run every entry of which was applied: its puts are published (copies unknown here, and never needed:
   * the diff takes what it writes from DynamoDB), its tombstones gone. Records another run took over since
   * (a re-send, a newer version) name that run and are left alone. Returns how many rows changed.
   */
  markRunApplied(run: string, at: string): number {
    return this.#guard(0, () =>
      this.#transaction(() => {
        this.#sql(
          "UPDATE directories SET seen = NULL " +
            "WHERE dir IN (SELECT DISTINCT dir FROM entries WHERE pending = 1 AND run = ?)",
        ).run(run);
        const published = this.#sql(
          "UPDATE entries SET pending = 0, pv = v, pat = ?, prun = run, pcp = NULL " +
            "WHERE pending = 1 AND run = ? AND op = 'put'",
        ).run(at, run);
        const removed = this.#sql("DELETE FROM entries WHERE pending = 1 AND run = ? AND op = 'delete'").run(run);
        return Number(published.changes) + Number(removed.changes);
      }),
    );
  }

  /** Moves what the write-ahead log holds into the file: reads after a large change are faster for it. */
  checkpoint(): void {
    this.#guard(undefined, () => this.#db!.exec("PRAGMA wal_checkpoint(TRUNCATE)"));
  }

  close(): void {
    const db = this.#db;
    this.#db = undefined;
    this.#statements.clear();
    try {
      db?.close();
    } catch (err) {
      this.#logger.warn("the index replica did not close cleanly; the next run checks it", {
        path: this.path,
        error: errorMessage(err),
      });
    }
  }

  /** Rows of `dir` changed: what a scan found against the old ones says nothing about the new. */
  #unsee(dir: string): void {
    this.#sql("UPDATE directories SET seen = NULL WHERE dir = ? AND seen IS NOT NULL").run(dir);
  }

  /** Replaces the directory's row, and with it what was seen against its old rows. */
  #setGeneration(dir: string, generation: number | null): void {
    this.#sql("INSERT OR REPLACE INTO directories (dir, generation, seen) VALUES (?, ?, NULL)").run(dir, generation);
  }

  #sql(text: string, arrays = false): StatementSync {
    let statement = this.#statements.get(text);
    if (!statement) {
      statement = this.#db!.prepare(text);
      if (arrays) statement.setReturnArrays(true);
      this.#statements.set(text, statement);
    }
    return statement;
  }

  #transaction<T>(body: () => T): T {
    const db = this.#db!;
    db.exec("BEGIN IMMEDIATE");
    try {
      const result = body();
      db.exec("COMMIT");
      return result;
    } catch (err) {
      if (db.isTransaction) db.exec("ROLLBACK");
      throw err;
    }
  }

  /** Runs `body` on a usable replica; a failure drops the replica (see the header) and answers `fallback`. */
  #guard<T>(fallback: T, body: () => T): T {
    if (!this.#db) return fallback;
    try {
      return body();
    } catch (err) {
      this.#logger.warn(
        "the index replica failed: this run reads the index from DynamoDB, the next one makes a new replica",
        { path: this.path, error: errorMessage(err) },
      );
      this.close();
      removeReplicaFiles(this.path);
      return fallback;
    }
  }
}
