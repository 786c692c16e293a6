// The run lock's decisions in one process (agent/lock.ts): SQLite refuses a second exclusive transaction on
// the same database even from the same process, so who holds it, what the blocked run is told, which note
// is replaced and which is left can be checked here quickly; test/integration/lock.test.ts covers holders
// in other processes, kill -9 and races.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { acquireLock, LockHeldError } from "../../agent/lock.ts";
import { createLogger, silentLogger } from "../../core/logger.ts";

function stateDir(): string {
  return mkdtempSync(join(tmpdir(), "sitesync-lock-unit-"));
}

function capturingLogger() {
  const lines: string[] = [];
  const stream = { isTTY: false, write: (line: string) => lines.push(line) } as unknown as NodeJS.WriteStream;
  return { lines, logger: createLogger({ level: "debug", stream }) };
}

const hoursAgo = (hours: number) => new Date(Date.now() - hours * 3_600_000).toISOString();

/** Holds the lock while its note says `owner`, and returns what a second run is told. */
function blockedMessage(owner: unknown, warnMinutes = 360): string {
  const dir = stateDir();
  const held = acquireLock(dir, "sync", silentLogger);
  try {
    writeFileSync(held.path, typeof owner === "string" ? owner : JSON.stringify(owner));
    let message = "";
    assert.throws(
      () => acquireLock(dir, "restore", silentLogger, warnMinutes),
      (err: unknown) => {
        assert.ok(err instanceof LockHeldError);
        assert.equal(err.name, "LockHeldError");
        message = err.message;
        return true;
      },
    );
    return message;
  } finally {
    held.release();
    rmSync(dir, { recursive: true });
  }
}

describe("the run lock in one process", () => {
  test("the holder's note names it; a second run is refused naming it until the lock is released", () => {
    const dir = stateDir();
    const before = Date.now();
    const lock = acquireLock(dir, "sync", silentLogger);
    const note = JSON.parse(readFileSync(lock.path, "utf8"));
    assert.deepEqual(Object.keys(note).sort(), ["command", "host", "pid", "started"]);
    assert.equal(note.pid, process.pid);
    assert.equal(note.host, hostname());
    assert.equal(note.command, "sync");
    assert.ok(Date.parse(note.started) >= before - 1000 && Date.parse(note.started) <= Date.now());
    assert.equal(statSync(lock.path).mode & 0o777, 0o644 & ~process.umask());
    assert.deepEqual(
      readdirSync(dir).filter((name) => name.endsWith(".tmp")),
      [],
      "the note is written through a temporary file renamed into place",
    );
    assert.throws(
      () => acquireLock(dir, "restore", silentLogger),
      (err: unknown) =>
        err instanceof LockHeldError &&
        err.message ===
          `another sitesync sync (pid ${process.pid} on ${hostname()}, since ${note.started}) holds ` +
            `${lock.path}; this run stops`,
    );
    lock.release();
    assert.equal(existsSync(lock.path), false, "the note goes with the lock");
    const next = acquireLock(dir, "restore", silentLogger);
    assert.equal(JSON.parse(readFileSync(next.path, "utf8")).command, "restore");
    next.release();
    rmSync(dir, { recursive: true });
  });

  test("a holder on another host is named as sharing the state directory, however long it has held the lock", () => {
    for (const started of [hoursAgo(1), hoursAgo(30)]) {
      const message = blockedMessage({ pid: 4242, host: "other-host.example", started, command: "sync" });
      assert.equal(
        message,
        `another sitesync sync (pid 4242 on other-host.example, since ${started}) holds ${message.split(" holds ")[1]}`,
      );
      assert.match(message, /; this run stops\. That host shares this state directory: the next run goes ahead /);
      assert.match(message, /once that run ends \(if it is stuck, stop it on other-host\.example\)$/);
      assert.doesNotMatch(message, /may be stuck/);
    }
  });

  test("a holder on this host is probably stuck only once it has held the lock longer than lockWarnMinutes", () => {
    const owner = (started: string) => ({ pid: 4242, host: hostname(), started, command: "sync" });
    const stuck = blockedMessage(owner(hoursAgo(7)), 360);
    assert.match(
      stuck,
      /\) holds \S+sitesync\.lock and has for 7\.0 hours, longer than lockWarnMinutes \(360\): it may be stuck\. /,
    );
    assert.match(stuck, /Check that process and stop it if it is; this run stops\.$/);
    assert.match(blockedMessage(owner(hoursAgo(5)), 360), /\) holds \S+sitesync\.lock; this run stops$/);
    assert.match(blockedMessage(owner(hoursAgo(2)), 60), /has for 2\.0 hours, longer than lockWarnMinutes \(60\)/);
  });

  test("a note that names no sitesync holder still blocks, naming no one", () => {
    for (const note of ["not json", JSON.stringify({ pid: "4242" }), "null"]) {
      assert.match(blockedMessage(note), /^another sitesync process holds \S+sitesync\.lock; this run stops$/);
    }
  });

  test("the note left by a run that is gone is replaced, with a warning saying what it was", () => {
    const cases = [
      { note: undefined, warning: undefined },
      { note: "garbage", warning: "replacing a lock note that is not a sitesync note" },
      { note: JSON.stringify({ pid: "4242" }), warning: "replacing a lock note that is not a sitesync note" },
      {
        note: JSON.stringify({ pid: 1, host: "other-host.example", started: hoursAgo(1), command: "sync" }),
        warning: "taking over a stale lock: its process is gone",
      },
    ];
    for (const { note, warning } of cases) {
      const dir = stateDir();
      if (note !== undefined) writeFileSync(join(dir, "sitesync.lock"), note);
      const { lines, logger } = capturingLogger();
      const lock = acquireLock(dir, "sync", logger);
      assert.deepEqual(
        lines.map((l) => (l.includes(warning ?? "\0") ? warning : l)),
        warning ? [warning] : [],
      );
      if (note?.includes("other-host")) assert.match(lines[0]!, /other-host\.example/, "the old note is logged");
      if (warning) assert.ok(lines[0]!.includes(join(dir, "sitesync.lock")), "the warning names the note");
      assert.equal(JSON.parse(readFileSync(lock.path, "utf8")).pid, process.pid);
      lock.release();
      rmSync(dir, { recursive: true });
    }
  });

  test("release leaves a note it did not write, and tolerates one already gone; either way the lock is free", () => {
    const dir = stateDir();
    const first = acquireLock(dir, "sync", silentLogger);
    const other = JSON.stringify({ pid: 4242, host: "other-host.example", started: hoursAgo(1), command: "sync" });
    writeFileSync(first.path, other);
    first.release();
    assert.equal(readFileSync(first.path, "utf8"), other);
    const second = acquireLock(dir, "sync", silentLogger);
    rmSync(second.path);
    second.release();
    acquireLock(dir, "sync", silentLogger).release();
    rmSync(dir, { recursive: true });
  });

  test("a lock database that is not one is named; a failure to open it is not taken for a held lock", () => {
    const dir = stateDir();
    writeFileSync(join(dir, "sitesync.lock.db"), "x".repeat(4096));
    assert.throws(
      () => acquireLock(dir, "sync", silentLogger),
      (err: unknown) =>
        err instanceof LockHeldError &&
        err.message ===
          `${join(dir, "sitesync.lock.db")} is not a sitesync lock (it is not an SQLite database): ` +
            "if no sitesync is running, remove it",
    );
    rmSync(join(dir, "sitesync.lock.db"));
    mkdirSync(join(dir, "sitesync.lock.db"));
    assert.throws(
      () => acquireLock(dir, "sync", silentLogger),
      (err: unknown) =>
        !(err instanceof LockHeldError) &&
        (err as { errcode?: number }).errcode === 14 &&
        /unable to open/.test(`${err}`),
      "SQLite's own error (cannot open), as it came",
    );
    rmSync(dir, { recursive: true });
  });

  test("the state directory is made when missing", () => {
    const parent = stateDir();
    const dir = join(parent, "deeper", "state");
    acquireLock(dir, "sync", silentLogger).release();
    assert.ok(existsSync(join(dir, "sitesync.lock.db")));
    rmSync(parent, { recursive: true });
  });

  test("the note is readable by all and writable by its owner only, whatever the umask", () => {
    const dir = stateDir();
    const umask = process.umask(0);
    try {
      const lock = acquireLock(dir, "sync", silentLogger);
      assert.equal(statSync(lock.path).mode & 0o777, 0o644);
      lock.release();
    } finally {
      process.umask(umask);
    }
    rmSync(dir, { recursive: true });
  });

  test("a run that releases the lock keeps no file of it open", { skip: !existsSync("/proc/self/fd") }, () => {
    const dir = stateDir();
    const open = () => readdirSync("/proc/self/fd").length;
    const before = open();
    for (let i = 0; i < 3; i++) acquireLock(dir, "sync", silentLogger).release();
    assert.equal(open(), before);
    rmSync(dir, { recursive: true });
  });

  test("a holder is probably stuck only after more than lockWarnMinutes, not at exactly that", (t) => {
    t.mock.timers.enable({ apis: ["Date"], now: Date.parse("2026-06-01T12:00:00Z") });
    const owner = (started: string) => ({ pid: 4242, host: hostname(), started, command: "sync" });
    assert.doesNotMatch(blockedMessage(owner("2026-06-01T06:00:00Z"), 360), /may be stuck/);
    assert.match(blockedMessage(owner("2026-06-01T05:59:59Z"), 360), /has for 6\.0 hours, .*: it may be stuck/);
  });
});
