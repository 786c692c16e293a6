import assert from "node:assert/strict";
import { test } from "node:test";
import { Batcher } from "../../core/concurrency.ts";

test("a full batch goes at once; each caller gets its own slot of the result", async () => {
  const batches: number[][] = [];
  const batcher = new Batcher<number, number>(3, 60_000, async (items) => {
    batches.push(items);
    return items.map((n) => n * 10);
  });
  const answers = await Promise.all([1, 2, 3].map((n) => batcher.add(n)));
  assert.deepEqual(answers, [10, 20, 30]);
  assert.deepEqual(batches, [[1, 2, 3]]);
});

test("a batch that never fills goes after the delay, so a lone caller is answered", async () => {
  const batches: string[][] = [];
  const batcher = new Batcher<string, string>(100, 5, async (items) => {
    batches.push(items);
    return items.map((s) => s.toUpperCase());
  });
  assert.equal(await batcher.add("a"), "A");
  const [b, c] = await Promise.all([batcher.add("b"), batcher.add("c")]);
  assert.deepEqual([b, c], ["B", "C"]);
  assert.deepEqual(batches, [["a"], ["b", "c"]]);
});

test("a failed batch rejects every caller in it, and later batches still run", async () => {
  let calls = 0;
  const batcher = new Batcher<number, number>(2, 5, async (items) => {
    calls += 1;
    if (calls === 1) throw new Error("throttled");
    return items;
  });
  const first = await Promise.allSettled([batcher.add(1), batcher.add(2)]);
  assert.deepEqual(
    first.map((r) => r.status),
    ["rejected", "rejected"],
  );
  assert.equal(await batcher.add(3), 3);
});
