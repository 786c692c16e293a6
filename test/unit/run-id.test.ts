// Run ids (core/run-id.ts).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { compareUtf8 } from "../../core/keys.ts";
import { isRunId, newRunId, runIdTime } from "../../core/run-id.ts";

describe("run ids", () => {
  test("format: compact UTC stamp with milliseconds and six hex digits", () => {
    const id = newRunId(new Date("2026-11-25T11:47:23.123Z"));
    assert.match(id, /^20261125T114723123Z-[0-9a-f]{6}$/);
    assert.ok(isRunId(id));
  });

  test("runIdTime gives back the time it was made at", () => {
    for (const iso of ["2026-11-25T11:47:23.123Z", "2000-01-01T00:00:00.000Z", "2099-12-31T23:59:59.999Z"]) {
      assert.equal(runIdTime(newRunId(new Date(iso))).toISOString(), iso);
    }
  });

  test("ids of one instant differ (random suffix)", () => {
    const now = new Date("2026-01-01T00:00:00.000Z");
    const ids = new Set(Array.from({ length: 50 }, () => newRunId(now)));
    assert.ok(ids.size >= 49, `${ids.size} distinct of 50`);
  });

  test("ids sort by time, as strings and as UTF-8 bytes", () => {
    const times = [
      "2026-01-01T00:00:00.000Z",
      "2026-01-01T00:00:00.001Z",
      "2026-01-01T00:00:01.000Z",
      "2026-02-01T00:00:00.000Z",
      "2027-01-01T00:00:00.000Z",
    ];
    const ids = times.map((t) => newRunId(new Date(t)));
    assert.deepEqual([...ids].reverse().sort(), ids);
    assert.deepEqual([...ids].reverse().sort(compareUtf8), ids);
  });

  test("newRunId defaults to now", () => {
    const before = Date.now();
    const t = runIdTime(newRunId()).getTime();
    assert.ok(t >= before && t <= Date.now());
  });

  const rows: Array<[unknown, boolean, string]> = [
    ["20261125T114723123Z-9f3ac1", true, "the documented example"],
    ["20261125T114723123Z-9F3AC1", false, "upper-case hex"],
    ["20261125T114723Z-9f3ac1", false, "no milliseconds"],
    ["20261125T114723123Z", false, "no suffix"],
    ["2026-11-25T11:47:23.123Z-9f3ac1", false, "ISO punctuation"],
    ["x20261125T114723123Z-9f3ac1", false, "leading junk"],
    [20261125, false, "not a string"],
  ];
  for (const [value, expected, why] of rows) {
    test(`isRunId: ${why}`, () => assert.equal(isRunId(value), expected));
  }

  test("runIdTime refuses what is not a run id", () => {
    assert.throws(() => runIdTime("latest"), /not a run id: latest/);
  });
});
