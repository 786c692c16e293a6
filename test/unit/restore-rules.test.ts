// Point-in-time restore: the decision table of core/restore-rules.ts, row by row.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { DesiredPut, IndexFile } from "../../core/index-record.ts";
import {
  decideRestore,
  oldestRestorable,
  parseIsoTime,
  versionAsOf,
  type KeyVersion,
} from "../../core/restore-rules.ts";

const put = (version: string, source = `packs/${version}.pack`): DesiredPut => ({
  op: "put",
  version,
  run: version,
  size: 3,
  mtime: "1",
  contentType: "text/plain",
  source: { key: source, offset: 0, length: 3 },
});
const v = (desired: KeyVersion["desired"], at: string): KeyVersion => ({ desired, at });
const current = (desired: IndexFile["desired"], extra: Partial<IndexFile> = {}): IndexFile => ({
  key: "k",
  desired,
  ...extra,
});

describe("versionAsOf", () => {
  const versions = [
    v(put("a"), "2026-01-01T00:00:00.000Z"),
    v(put("b"), "2026-01-02T00:00:00.000Z"),
    v({ op: "delete", version: "c", run: "c" }, "2026-01-03T00:00:00.000Z"),
  ];
  test("the latest version staged no later than the time", () =>
    assert.equal(versionAsOf(versions, "2026-01-02T12:00:00.000Z")?.desired.version, "b"));
  test("exactly at a version's time counts", () =>
    assert.equal(versionAsOf(versions, "2026-01-01T00:00:00.000Z")?.desired.version, "a"));
  test("before the first version: none (the key did not exist)", () =>
    assert.equal(versionAsOf(versions, "2025-12-31T00:00:00.000Z"), undefined));
  test("after a delete: the delete", () =>
    assert.equal(versionAsOf(versions, "2026-02-01T00:00:00.000Z")?.desired.op, "delete"));
  test("the latest by time, in whatever order the versions come", () =>
    assert.equal(versionAsOf([...versions].reverse(), "2026-01-02T12:00:00.000Z")?.desired.version, "b"));
  test("of versions staged at the same instant, the one recorded last", () => {
    const at = "2026-01-01T00:00:00.000Z";
    assert.equal(versionAsOf([v(put("x"), at), v(put("y"), at)], at)?.desired.version, "y");
  });
});

describe("decideRestore", () => {
  const rows: Array<[string, KeyVersion | undefined, IndexFile | undefined, string]> = [
    ["created after the time, gone now: nothing", undefined, undefined, "none"],
    ["created after the time, exists now: delete", undefined, current(put("b")), "delete"],
    [
      "deleted at the time, exists now: delete",
      v({ op: "delete", version: "c", run: "c" }, "t"),
      current(put("d")),
      "delete",
    ],
    [
      "deleted at the time, being deleted now: nothing",
      v({ op: "delete", version: "c", run: "c" }, "t"),
      current({ op: "delete", version: "e", run: "e" }),
      "none",
    ],
    ["same version now: nothing", v(put("a"), "t"), current(put("a")), "none"],
    ["already restored (same staged bytes): nothing", v(put("a"), "t"), current({ ...put("a"), version: "r" }), "none"],
    ["changed since: put the old version back", v(put("a"), "t"), current(put("b")), "put"],
    ["deleted since: put it back", v(put("a"), "t"), undefined, "put"],
    ["a generated listing now: put the file back", v(put("a"), "t"), current(put("g"), { generated: true }), "put"],
    ["adopted and unchanged: nothing", v(put("a", ""), "t"), current(put("a", "")), "none"],
    ["adopted and changed since: unrestorable", v(put("a", ""), "t"), current(put("b")), "unrestorable"],
  ];
  for (const [why, atTime, now, expected] of rows)
    test(why, () => assert.equal(decideRestore(atTime, now).action, expected));
  test("staged before the retention window and changed since: unrestorable", () =>
    assert.equal(
      decideRestore(v(put("a"), "2026-01-01T00:00:00.000Z"), current(put("b")), "2026-02-01T00:00:00.000Z").action,
      "unrestorable",
    ));
  test("staged within the retention window, or exactly at its start, and changed since: put it back", () => {
    for (const at of ["2026-02-01T00:00:00.000Z", "2026-02-01T00:00:00.001Z"]) {
      const decision = decideRestore(v(put("a"), at), current(put("b")), "2026-02-01T00:00:00.000Z");
      assert.deepEqual(decision, { action: "put", target: put("a") });
    }
  });
  test("each unrestorable version says why", () => {
    assert.deepEqual(decideRestore(v(put("a", ""), "t"), current(put("b"))), {
      action: "unrestorable",
      reason: "version a was adopted from the bucket and never staged; its bytes are gone",
    });
    assert.deepEqual(
      decideRestore(v(put("a"), "2026-01-01T00:00:00.000Z"), current(put("b")), "2026-02-01T00:00:00.000Z"),
      {
        action: "unrestorable",
        reason: "version a was staged at 2026-01-01T00:00:00.000Z, before the retention window; its bytes have expired",
      },
    );
  });
  test("same bytes means the same staged location and mtime; adopted versions never share bytes", () => {
    const at = v(put("a"), "t");
    assert.equal(decideRestore(at, current({ ...put("a", "packs/other.pack"), version: "r" })).action, "put");
    assert.equal(decideRestore(at, current({ ...put("a"), version: "r", mtime: "2" })).action, "put");
    const adopted = v(put("a", ""), "t");
    assert.equal(decideRestore(adopted, current({ ...put("a", ""), version: "r" })).action, "unrestorable");
  });
  test("staged before the retention window and still current: nothing", () =>
    assert.equal(
      decideRestore(v(put("a"), "2026-01-01T00:00:00.000Z"), current(put("a")), "2026-02-01T00:00:00.000Z").action,
      "none",
    ));
});

test("the oldest restorable time is the retention before now", () => {
  assert.equal(oldestRestorable(new Date("2026-11-25T00:00:00Z"), 30).toISOString(), "2026-10-26T00:00:00.000Z");
});

describe("parseIsoTime: ISO 8601 with a zone, nothing else", () => {
  const valid: Array<[string, string]> = [
    ["2026-11-25T09:00:00Z", "2026-11-25T09:00:00.000Z"],
    ["2026-11-25T09:00Z", "2026-11-25T09:00:00.000Z"],
    ["2026-11-25T09:00:00.123456789Z", "2026-11-25T09:00:00.123Z"],
    ["2026-11-25T10:30:00+01:30", "2026-11-25T09:00:00.000Z"],
    ["2026-11-25T00:00:00-05:00", "2026-11-25T05:00:00.000Z"],
    ["2024-02-29T12:00:00Z", "2024-02-29T12:00:00.000Z"],
  ];
  for (const [text, iso] of valid)
    test(`${text} is ${iso}`, () => assert.equal(parseIsoTime(text)?.toISOString(), iso));
  const invalid = [
    "Nov 25",
    "1",
    "2026",
    "2026-11-25",
    "2026-11-25T09:00:00",
    "2026-11-25 09:00:00Z",
    "2026-11-25T09:00:00+0100",
    "2026-02-30T00:00:00Z",
    "2025-02-29T00:00:00Z",
    "2026-11-25T24:00:00Z",
    "2026-11-25T09:60:00Z",
    "2026-11-25T09:00:00+24:00",
    "2026-13-01T00:00:00Z",
    " 2026-11-25T09:00:00Z",
    "2026-11-25T09:00:00Z ",
    "2026-11-25T09:00:00Zjunk",
    "",
  ];
  for (const text of invalid)
    test(`${JSON.stringify(text)} is refused`, () => assert.equal(parseIsoTime(text), undefined));
});
