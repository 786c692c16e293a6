// Where the agent runs (agent/heap.ts): one row per line of its decision table, and the bundle's first line
// starting it under the same cap the worker would set.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { agentThread, DEFAULT_HEAP_MB } from "../../agent/heap.ts";

const rows = [
  { why: "the bundle's first line (env -S node --max-old-space-size=…)", argv: ["--max-old-space-size=128"] },
  { why: "a wrapper's flag, V8's underscore spelling", argv: ["--max_old_space_size=256"] },
  { why: "the flag's value as the next argument", argv: ["--max-old-space-size", "256"] },
].map((row) => ({ ...row, env: undefined, thread: { where: "this-thread" } }));

const workerRows = [
  { why: "plain `node sitesync.mjs`", argv: [], env: undefined, heapMb: DEFAULT_HEAP_MB },
  { why: "another flag only", argv: ["--disable-warning=ExperimentalWarning"], env: undefined, heapMb: 128 },
  { why: "SITESYNC_HEAP_MB wins over a start-up flag", argv: ["--max-old-space-size=128"], env: "512", heapMb: 512 },
  { why: "SITESYNC_HEAP_MB=0: no cap, as asked", argv: [], env: "0", heapMb: undefined },
  { why: "SITESYNC_HEAP_MB not a number: no cap", argv: [], env: "lots", heapMb: undefined },
].map(({ heapMb, ...row }) => ({ ...row, thread: { where: "worker", heapMb } }));

describe("where the agent runs", () => {
  for (const row of [...rows, ...workerRows]) {
    test(row.why, () => assert.deepEqual(agentThread(row.argv, row.env), row.thread));
  }

  test("bin/sitesync.ts starts node with the cap a worker would get", () => {
    const first = readFileSync(new URL("../../bin/sitesync.ts", import.meta.url), "utf8").split("\n")[0];
    assert.equal(first, `#!/usr/bin/env -S node --max-old-space-size=${DEFAULT_HEAP_MB}`);
  });
});
