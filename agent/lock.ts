// One run at a time per state directory. The lock is an exclusive SQLite transaction on
// `sitesync.lock.db`, that is, a POSIX record lock the kernel holds for this process and drops the moment
// the process ends — however it ends. There is no stale lock to detect and nothing to take over: a PID
// reused after a reboot, a lock file left by kill -9 or a crash on another host sharing the directory
// (over NFS the lock manager releases a dead client's locks) cannot block a run, and two runs can never
// both hold it. `sitesync.lock` beside it is only a note of who holds the lock, for the message a blocked
// run prints; a run that holds the lock for longer than `lockWarnMinutes` is reported as probably stuck.
import { readFileSync, renameSync, unlinkSync, writeFileSync, mkdirSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import type { DatabaseSync } from "node:sqlite";
import type { Logger } from "../core/logger.ts";
import { openDatabase, sqliteCode } from "./sqlite.ts";

export class LockHeldError extends Error {
  override readonly name = "LockHeldError";
}

interface LockOwner {
  pid: number;
  host: string;
  started: string;
  command: string;
}

export interface Lock {
  /** The note naming the holder. */
  path: string;
  release(): void;
}

const SQLITE_BUSY = 5;
const SQLITE_NOTADB = 26;

export function acquireLock(stateDir: string, command: string, logger: Logger, warnMinutes = 360): Lock {
  mkdirSync(stateDir, { recursive: true });
  const path = join(stateDir, "sitesync.lock");
  const dbPath = join(stateDir, "sitesync.lock.db");
  let db: DatabaseSync | undefined;
  try {
    db = openDatabase(dbPath);
    // Stryker disable next-line StringLiteral,CallExpression: equivalent, node:sqlite's default busy timeout is 0
    db.exec("PRAGMA busy_timeout = 0");
    db.exec("BEGIN EXCLUSIVE");
  } catch (err) {
    db?.close();
    const code = sqliteCode(err);
    if (code === SQLITE_BUSY) throw new LockHeldError(heldMessage(path, ownerOf(readNote(path)), warnMinutes));
    if (code === SQLITE_NOTADB) {
      throw new LockHeldError(
        `${dbPath} is not a sitesync lock (it is not an SQLite database): if no sitesync is running, remove it`,
      );
    }
    throw err;
  }
  const previous = readNote(path);
  if (previous === "foreign") {
    logger.warn("replacing a lock note that is not a sitesync note (no lock is held): it held no pid", { path });
  } else if (previous) {
    logger.warn("taking over a stale lock: its process is gone", { path, previous });
  }
  const me: LockOwner = { pid: process.pid, host: hostname(), started: new Date().toISOString(), command };
  const mine = JSON.stringify(me);
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, mine, { mode: 0o644 });
  renameSync(temp, path);
  const held = db;
  return {
    path,
    release() {
      try {
        if (readFileSync(path, "utf8") === mine) unlinkSync(path);
      } catch {
        // Already gone: nothing to tidy.
      }
      // Stryker disable next-line StringLiteral,CallExpression: equivalent, close ends the transaction (no writes)
      held.exec("COMMIT");
      held.close();
    },
  };
}

function heldMessage(path: string, owner: LockOwner | undefined, warnMinutes: number): string {
  if (!owner) return `another sitesync process holds ${path}; this run stops`;
  const who = `another sitesync ${owner.command} (pid ${owner.pid} on ${owner.host}, since ${owner.started})`;
  if (owner.host !== hostname()) {
    // Only a state directory shared over NFS lets a process on another host hold this lock.
    return (
      `${who} holds ${path}; this run stops. That host shares this state directory: the next run goes ahead ` +
      `once that run ends (if it is stuck, stop it on ${owner.host})`
    );
  }
  const minutes = (Date.now() - Date.parse(owner.started)) / 60_000;
  if (minutes > warnMinutes) {
    return (
      `${who} holds ${path} and has for ${(minutes / 60).toFixed(1)} hours, longer than lockWarnMinutes ` +
      `(${warnMinutes}): it may be stuck. Check that process and stop it if it is; this run stops.`
    );
  }
  return `${who} holds ${path}; this run stops`;
}

/** The note naming the holder: absent, a sitesync note, or "foreign" (something else wrote the file). */
function readNote(path: string): LockOwner | "foreign" | undefined {
  let text: string;
  try {
    // Stryker disable next-line StringLiteral: equivalent, JSON.parse reads a Buffer as UTF-8 text too
    text = readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
  try {
    const o = JSON.parse(text) as LockOwner;
    // Stryker disable next-line OptionalChaining: equivalent, null's TypeError lands in the catch below
    return Number.isInteger(o?.pid) ? o : "foreign";
  } catch {
    return "foreign";
  }
}

const ownerOf = (note: LockOwner | "foreign" | undefined) => (note === "foreign" ? undefined : note);
