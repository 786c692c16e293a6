// Where a host restore plan page is cut into parts (core/host-plan.ts): at exactly 100 items, and when the
// next item would take a part past 200,000 characters of JSON; every item in exactly one part, in order.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { hostPlanPage, parseHostPlan, type HostPlanFile } from "../../core/host-plan.ts";
import { asciiJson } from "../../core/manifest.ts";

const file = (key: string): HostPlanFile => ({
  key,
  desired: {
    op: "put",
    version: "v1",
    run: "r1",
    size: 3,
    mtime: "1700000000000000000",
    contentType: "text/plain",
    source: { key: "packs/p", offset: 0, length: 3 },
  },
  publishedVersion: "v1",
});
const head = { restoreId: "20261125T090000000Z-abcdef", sitePrefix: "", prefix: "", page: 0, pages: 1 };

/** A file whose JSON is exactly `chars` characters long. */
function fileOfLength(name: string, chars: number): HostPlanFile {
  const base = asciiJson(file(name)).length;
  return file(`${name}${"x".repeat(chars - base)}`);
}

const keysOf = (bodies: string[]) => bodies.map((b) => parseHostPlan(b).files.map((f) => f.key));

describe("host plan parts", () => {
  test("100 files make one part; the 101st starts another", () => {
    const files = Array.from({ length: 101 }, (_, i) => file(`f${String(i).padStart(3, "0")}`));
    assert.deepEqual(
      keysOf(hostPlanPage(head, files.slice(0, 100), [])).map((k) => k.length),
      [100],
    );
    const parts = keysOf(hostPlanPage(head, files, []));
    assert.deepEqual(
      parts.map((k) => k.length),
      [100, 1],
    );
    assert.deepEqual(
      parts.flat(),
      files.map((f) => f.key),
    );
  });

  test("a part holds items up to 200,000 characters with their separators, not one more", () => {
    const first = fileOfLength("a", 150_000);
    // Each item counts its JSON and one separator: 150,001 + 49,999 is exactly the limit.
    const fits = fileOfLength("b", 49_999);
    assert.deepEqual(
      keysOf(hostPlanPage(head, [first, fits], [])).map((k) => k.length),
      [2],
    );
    const over = fileOfLength("b", 50_000);
    assert.deepEqual(
      keysOf(hostPlanPage(head, [first, over], [])).map((k) => k.length),
      [1, 1],
    );
    // 150,001 + 49,701 + 300 is past the limit by 2: the third file starts a part of its own.
    const third = fileOfLength("c", 300);
    const parts = keysOf(hostPlanPage(head, [first, fileOfLength("b", 49_700), third], []));
    assert.deepEqual(
      parts.map((k) => k.length),
      [2, 1],
    );
  });

  test("one item bigger than the limit still goes, alone", () => {
    const big = fileOfLength("big", 210_000);
    assert.deepEqual(
      keysOf(hostPlanPage(head, [big, file("small")], [])).map((k) => k.length),
      [1, 1],
    );
  });
});
