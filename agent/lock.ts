// One run at a time per state directory: a lock file holding the owner's pid and host. A lock whose
// process is gone (crash, reboot, kill -9) is stale and taken over with a warning; a live one stops the
// new run with exit code 3.
import { readFileSync, unlinkSync, writeFileSync, mkdirSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import type { Logger } from "../core/logger.ts";

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
  path: string;
  release(): void;
}

export function acquireLock(stateDir: string, command: string, logger: Logger): Lock {
  mkdirSync(stateDir, { recursive: true });
  const path = join(stateDir, "sitesync.lock");
  const me: LockOwner = { pid: process.pid, host: hostname(), started: new Date().toISOString(), command };
  const mine = JSON.stringify(me);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      writeFileSync(path, mine, { flag: "wx", mode: 0o644 });
      return {
        path,
        release() {
          try {
            if (readFileSync(path, "utf8") === mine) unlinkSync(path);
          } catch {
            // Already gone: nothing to release.
          }
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    const text = readText(path);
    if (text === undefined) continue;
    const owner = parseOwner(text);
    if (owner && isAlive(owner)) {
      throw new LockHeldError(
        `another sitesync ${owner.command} (pid ${owner.pid} on ${owner.host}, since ${owner.started}) holds ${path}; ` +
          "this run stops. If no such process exists, remove the lock file.",
      );
    }
    logger.warn("taking over a stale lock", { path, previous: owner ?? text.slice(0, 200) });
    // Remove only the stale lock we read, not one a concurrent taker has just written.
    if (readText(path) === text) unlinkSync(path);
  }
  throw new LockHeldError(`could not take the lock ${path}: it keeps changing hands`);
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}

function parseOwner(text: string): LockOwner | undefined {
  try {
    const o = JSON.parse(text) as LockOwner;
    return Number.isInteger(o.pid) ? o : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(owner: LockOwner): boolean {
  // A lock from another host (shared state directory) cannot be probed; treat it as live.
  if (owner.host !== hostname()) return true;
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
