// One run at a time: the lock is the kernel's, so a dead holder never blocks, a live one always does, and
// racing runs never both get it. Each holder here is a real process.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { acquireLock, LockHeldError } from "../../agent/lock.ts";
import { createLogger, silentLogger } from "../../core/logger.ts";

const LOCK = join(dirname(fileURLToPath(import.meta.url)), "../../agent/lock.ts");

/** A process that takes the lock, says so on stdout, and holds it until killed. */
async function holder(stateDir: string, started?: string): Promise<ChildProcess> {
  const script = `
    import { acquireLock } from ${JSON.stringify(LOCK)};
    import { silentLogger } from ${JSON.stringify(join(dirname(LOCK), "../core/logger.ts"))};
    import { writeFileSync, readFileSync } from "node:fs";
    const lock = acquireLock(${JSON.stringify(stateDir)}, "sync", silentLogger);
    const started = ${JSON.stringify(started ?? null)};
    if (started) writeFileSync(lock.path, JSON.stringify({ ...JSON.parse(readFileSync(lock.path, "utf8")), started }));
    process.stdout.write("held\\n");
    setInterval(() => {}, 1000);
  `;
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on("data", (d) => String(d).includes("held") && resolve());
    child.on("exit", (code) => reject(new Error(`holder exited with ${code}`)));
  });
  return child;
}

function stateDir(): string {
  return mkdtempSync(join(tmpdir(), "sitesync-lock-"));
}

async function kill(child: ChildProcess): Promise<void> {
  const gone = new Promise((resolve) => child.on("exit", resolve));
  child.kill("SIGKILL");
  await gone;
}

describe("the run lock", () => {
  test("a live holder blocks, naming itself; once it is killed (kill -9) the lock is free at once", async () => {
    const dir = stateDir();
    const child = await holder(dir);
    try {
      assert.throws(
        () => acquireLock(dir, "sync", silentLogger),
        (err: Error) => {
          assert.ok(err instanceof LockHeldError);
          assert.match(err.message, new RegExp(`pid ${child.pid} on .* holds .*sitesync\\.lock; this run stops`));
          return true;
        },
      );
    } finally {
      await kill(child);
    }
    const lock = acquireLock(dir, "sync", silentLogger);
    lock.release();
    rmSync(dir, { recursive: true });
  });

  test("a note naming a live process (a reused PID) or another host does not block when no one holds the lock", () => {
    for (const owner of [
      { pid: process.pid, host: "this-host-rebooted", started: "2026-01-01T00:00:00Z", command: "sync" },
      { pid: 1, host: "another-host.example", started: "2026-01-01T00:00:00Z", command: "sync" },
    ]) {
      const dir = stateDir();
      writeFileSync(join(dir, "sitesync.lock"), JSON.stringify(owner));
      const warnings: string[] = [];
      const stream = { isTTY: false, write: (line: string) => warnings.push(line) } as unknown as NodeJS.WriteStream;
      const logger = createLogger({ level: "warn", stream });
      const lock = acquireLock(dir, "sync", logger);
      assert.ok(
        warnings.some((w) => w.includes("stale lock")),
        "the old note is reported",
      );
      assert.equal(JSON.parse(readFileSync(lock.path, "utf8")).pid, process.pid);
      lock.release();
      assert.equal(existsSync(lock.path), false, "the note goes with the lock");
      rmSync(dir, { recursive: true });
    }
  });

  test("a lock held longer than lockWarnMinutes is reported as probably stuck", async () => {
    const dir = stateDir();
    const child = await holder(dir, new Date(Date.now() - 7 * 3_600_000).toISOString());
    try {
      assert.throws(
        () => acquireLock(dir, "sync", silentLogger, 360),
        /has for 7\.0 hours, longer than lockWarnMinutes \(360\): it may be stuck/,
      );
    } finally {
      await kill(child);
    }
    rmSync(dir, { recursive: true });
  });

  test("racing processes: exactly one gets the lock, every time (10 rounds of 4)", async () => {
    const script = (dir: string) => `
      import { acquireLock } from ${JSON.stringify(LOCK)};
      import { silentLogger } from ${JSON.stringify(join(dirname(LOCK), "../core/logger.ts"))};
      try {
        acquireLock(${JSON.stringify(dir)}, "sync", silentLogger);
        process.stdout.write("won");
        // Held until every racer has tried (the test closes stdin): a winner that let go early would let
        // a slow racer win after it, which is a lock doing its job, not a race.
        process.stdin.resume();
        process.stdin.on("end", () => process.exit(0));
      }
      catch (err) { process.stdout.write(err.name); }
    `;
    for (let round = 0; round < 10; round++) {
      const dir = stateDir();
      // A dead holder's note, as a crash leaves it: every racer sees a lock to "take over".
      writeFileSync(
        join(dir, "sitesync.lock"),
        JSON.stringify({ pid: 999_999, host: "h", started: "2026-01-01T00:00:00Z", command: "sync" }),
      );
      const racers = Array.from({ length: 4 }, () =>
        spawn(process.execPath, ["--input-type=module", "-e", script(dir)], { stdio: ["pipe", "pipe", "inherit"] }),
      );
      const exited = racers.map((child) => new Promise((resolve) => child.on("exit", resolve)));
      // Each racer's outcome: "won" while it holds the lock, or the error it exited with.
      const outcomes = await Promise.all(
        racers.map((child) => {
          let out = "";
          return new Promise<string>((resolve) => {
            child.stdout!.on("data", (d) => {
              out += d;
              if (out === "won") resolve(out);
            });
            child.on("exit", () => resolve(out));
          });
        }),
      );
      for (const child of racers) child.stdin!.end();
      await Promise.all(exited);
      assert.equal(outcomes.filter((o) => o === "won").length, 1, `round ${round}: ${outcomes.join(", ")}`);
      assert.equal(outcomes.filter((o) => o === "LockHeldError").length, 3);
      rmSync(dir, { recursive: true });
    }
  });

  test("a lock database that is not one is named, not silently replaced", () => {
    const dir = stateDir();
    writeFileSync(join(dir, "sitesync.lock.db"), "x".repeat(4096));
    assert.throws(() => acquireLock(dir, "sync", silentLogger), /sitesync\.lock\.db is not a sitesync lock.*remove it/);
    rmSync(dir, { recursive: true });
  });
});
