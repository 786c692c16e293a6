// SQLite from Node.js itself (node:sqlite): no native addon to build, so the single-file agent carries it.
// Loaded on first use with its one-time "experimental" warning kept off the agent's output, which cron
// mails and log parsers read.
import { createRequire } from "node:module";
import type { DatabaseSync } from "node:sqlite";

type SqliteModule = typeof import("node:sqlite");
let sqlite: SqliteModule | undefined;

export function openDatabase(path: string): DatabaseSync {
  if (!sqlite) {
    const emitWarning = process.emitWarning;
    process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
      if (String(warning).includes("SQLite is an experimental feature")) return;
      (emitWarning as (...args: unknown[]) => void).call(process, warning, ...rest);
    }) as typeof process.emitWarning;
    try {
      sqlite = createRequire(import.meta.url)("node:sqlite") as SqliteModule;
    } finally {
      process.emitWarning = emitWarning;
    }
  }
  return new sqlite.DatabaseSync(path);
}

/** SQLite's primary result code of an error thrown by node:sqlite (5 = busy, 26 = not a database). */
export function sqliteCode(err: unknown): number | undefined {
  const code = (err as { errcode?: unknown }).errcode;
  return typeof code === "number" ? code & 0xff : undefined;
}
