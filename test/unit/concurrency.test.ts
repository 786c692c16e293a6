// core/concurrency.ts's one failure rule, primitive by primitive: never more than the limit at once, results
// in the items' order, nothing new started after a failure, every job in flight awaited, the first error
// thrown; and the typed errors (core/errors.ts) that callers tell apart by type.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { Limit, mapLimit, mapLimitWhile, runPool, TaskGroup } from "../../core/concurrency.ts";
import { BadInputError, ConfigError, errorMessage, PermanentError, RetryableError } from "../../core/errors.ts";

/** Counts the jobs running at once. */
function gauge() {
  let now = 0;
  let peak = 0;
  return {
    get peak() {
      return peak;
    },
    async run<T>(ms: number, value: T): Promise<T> {
      now++;
      peak = Math.max(peak, now);
      await sleep(ms);
      now--;
      return value;
    },
  };
}

describe("Limit", () => {
  test("at most n tasks at once, every one run, each with its own result", async () => {
    const g = gauge();
    const limit = new Limit(3);
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => limit.run(() => g.run(5, i))));
    assert.deepEqual(results, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.equal(g.peak, 3);
  });

  test("a limit below one still runs one at a time, and a failed task frees its slot", async () => {
    const g = gauge();
    const limit = new Limit(0);
    await assert.rejects(
      limit.run(() => Promise.reject(new Error("first fails"))),
      /first fails/,
    );
    const results = await Promise.all([1, 2, 3].map((i) => limit.run(() => g.run(2, i))));
    assert.deepEqual(results, [1, 2, 3]);
    assert.equal(g.peak, 1);
  });
});

describe("mapLimit", () => {
  test("results in the items' order, at most `concurrency` at once, each item once with its index", async () => {
    const g = gauge();
    const seen: Array<[string, number]> = [];
    const results = await mapLimit(["a", "b", "c", "d", "e"], 2, (item, index) => {
      seen.push([item, index]);
      return g.run(item === "a" ? 20 : 2, item.toUpperCase());
    });
    assert.deepEqual(results, ["A", "B", "C", "D", "E"]);
    assert.deepEqual(
      seen.sort(([a], [b]) => (a < b ? -1 : 1)),
      [
        ["a", 0],
        ["b", 1],
        ["c", 2],
        ["d", 3],
        ["e", 4],
      ],
    );
    assert.equal(g.peak, 2);
  });

  test("nothing to map: an empty result; a concurrency below one runs one at a time", async () => {
    assert.deepEqual(await mapLimit([], 4, async () => assert.fail("not called")), []);
    const g = gauge();
    assert.deepEqual(await mapLimit([1, 2, 3], 0, (n) => g.run(1, n * 2)), [2, 4, 6]);
    assert.equal(g.peak, 1);
  });

  test("after a failure nothing new starts, the jobs in flight end, then the first error is thrown", async () => {
    const started: number[] = [];
    const finished: number[] = [];
    await assert.rejects(
      mapLimit([0, 1, 2, 3, 4, 5], 2, async (n) => {
        started.push(n);
        if (n === 0) {
          await sleep(1);
          throw new Error("first");
        }
        if (n === 1) {
          await sleep(30);
          finished.push(n);
          throw new Error("second");
        }
        await sleep(1);
        finished.push(n);
        return n;
      }),
      /^Error: first$/,
    );
    assert.deepEqual(started, [0, 1], "no item starts after the failure");
    assert.deepEqual(finished, [1], "the job in flight was awaited");
  });
});

describe("mapLimitWhile", () => {
  test("starts no item once `more` says no: the jobs in flight end, the result is the prefix started", async () => {
    const g = gauge();
    const asked: number[] = [];
    const results = await mapLimitWhile(
      [0, 1, 2, 3, 4, 5, 6, 7],
      3,
      (index) => {
        asked.push(index);
        return index < 5;
      },
      (n) => g.run(n === 4 ? 30 : 2, n * 10),
    );
    assert.deepEqual(results, [0, 10, 20, 30, 40], "item 4, slow and in flight, is awaited");
    assert.equal(g.peak, 3);
    assert.equal(asked.filter((i) => i === 5).length, 1, "asked once about the first item it does not start");
    assert.ok(!asked.includes(6), "nothing asked past the stop");
  });

  test("a `more` that holds throughout maps every item; one that never holds starts none", async () => {
    assert.deepEqual(
      await mapLimitWhile(
        [1, 2, 3],
        2,
        () => true,
        async (n) => n + 1,
      ),
      [2, 3, 4],
    );
    assert.deepEqual(
      await mapLimitWhile(
        [1, 2, 3],
        2,
        () => false,
        async () => assert.fail("not started"),
      ),
      [],
    );
    assert.deepEqual(
      await mapLimitWhile(
        [],
        2,
        () => assert.fail("not asked"),
        async () => 0,
      ),
      [],
    );
  });

  test("a failure still stops everything and throws the first error, `more` notwithstanding", async () => {
    const started: number[] = [];
    await assert.rejects(
      mapLimitWhile(
        [0, 1, 2, 3],
        1,
        () => true,
        async (n) => {
          started.push(n);
          if (n === 1) throw new Error("broken");
          return n;
        },
      ),
      /^Error: broken$/,
    );
    assert.deepEqual(started, [0, 1]);
  });
});

describe("runPool", () => {
  test("runs the first jobs and every job they enqueue, at most `concurrency` at once", async () => {
    const g = gauge();
    const done: string[] = [];
    await runPool(["a", "b"], 2, async (job, enqueue) => {
      await g.run(2, job);
      done.push(job);
      if (job.length < 3) for (const child of ["x", "y"]) enqueue(`${job}${child}`);
    });
    assert.deepEqual(done.sort(), [
      "a",
      "ax",
      "axx",
      "axy",
      "ay",
      "ayx",
      "ayy",
      "b",
      "bx",
      "bxx",
      "bxy",
      "by",
      "byx",
      "byy",
    ]);
    assert.equal(g.peak, 2);
  });

  test("nothing to do resolves at once", async () => {
    await runPool([], 2, async () => assert.fail("not called"));
  });

  test("on a failure no new job starts, the jobs in flight end, then the first error rejects", async () => {
    const started: number[] = [];
    const finished: number[] = [];
    await assert.rejects(
      runPool([5, 4, 3, 2, 1], 2, async (n) => {
        started.push(n);
        if (n === 1) throw new Error("first");
        await sleep(n === 2 ? 30 : 1);
        finished.push(n);
        if (n === 2) throw new Error("second");
      }),
      /^Error: first$/,
    );
    assert.deepEqual(started, [1, 2], "depth first: the last job queued goes first; nothing after the failure");
    assert.deepEqual(finished, [2], "the job in flight was awaited");
  });

  test("an aborted signal stops the pool with its reason, after the jobs in flight", async () => {
    const controller = new AbortController();
    const started: number[] = [];
    let inFlightDone = false;
    await assert.rejects(
      runPool(
        [3, 2, 1],
        1,
        async (n) => {
          started.push(n);
          controller.abort(new Error("stopped"));
          await sleep(10);
          inFlightDone = true;
        },
        controller.signal,
      ),
      /stopped/,
    );
    assert.deepEqual(started, [1]);
    assert.equal(inFlightDone, true);
  });
});

describe("TaskGroup", () => {
  test("wait settles after every task, tasks added meanwhile included, then throws the first error", async () => {
    const group = new TaskGroup();
    const done: string[] = [];
    group.add(sleep(20).then(() => done.push("slow")));
    group.add(sleep(1).then(() => Promise.reject(new Error("first"))));
    group.add(sleep(5).then(() => Promise.reject(new Error("second"))));
    assert.equal(group.size, 3);
    group.check();
    await sleep(10);
    assert.throws(() => group.check(), /^Error: first$/);
    group.add(sleep(15).then(() => done.push("late")));
    await assert.rejects(group.wait(), /^Error: first$/);
    assert.deepEqual(done.sort(), ["late", "slow"]);
    assert.equal(group.size, 0);
  });

  test("waitBelow resolves once at most n are pending; several waiters each at their own count", async () => {
    const group = new TaskGroup();
    const order: string[] = [];
    for (const ms of [5, 15, 25]) group.add(sleep(ms));
    await group.waitBelow(3);
    const below2 = group.waitBelow(2).then(() => order.push(`2 at ${group.size}`));
    const below0 = group.waitBelow(0).then(() => order.push(`0 at ${group.size}`));
    const below1 = group.waitBelow(1).then(() => order.push(`1 at ${group.size}`));
    await Promise.all([below2, below1, below0]);
    assert.deepEqual(order, ["2 at 2", "1 at 1", "0 at 0"]);
    await group.wait();
  });
});

describe("typed errors", () => {
  test("each says by type and name whether trying again may help", () => {
    const cases: Array<[Error, string, boolean]> = [
      [new RetryableError("x"), "RetryableError", true],
      [new PermanentError("x"), "PermanentError", false],
      [new ConfigError("f.json", "region", "is empty"), "ConfigError", false],
      [new BadInputError("x"), "BadInputError", false],
    ];
    for (const [err, name, retryable] of cases) {
      assert.equal(err.name, name);
      assert.equal((err as { retryable?: boolean }).retryable, retryable);
      assert.equal(err instanceof PermanentError, !retryable);
    }
  });

  test("a configuration error names the file, the field, the problem and an example when it has one", () => {
    const withExample = new ConfigError("/etc/sitesync.json", "region", "is empty", '"eu-west-1"');
    assert.equal(withExample.message, '/etc/sitesync.json: "region" is empty (for example: "eu-west-1")');
    assert.equal(withExample.source, "/etc/sitesync.json");
    assert.equal(withExample.field, "region");
    assert.equal(new ConfigError("f", "x", "is wrong").message, 'f: "x" is wrong');
  });

  test("errorMessage: an error's message, anything else as text", () => {
    assert.equal(errorMessage(new Error("boom")), "boom");
    assert.equal(errorMessage("plain"), "plain");
    assert.equal(errorMessage(42), "42");
  });
});
