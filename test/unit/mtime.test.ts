// Nanosecond mtimes as decimal strings (core/mtime.ts).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { isMtime, mtimeFromNs, mtimeToDate, mtimeToSeconds } from "../../core/mtime.ts";

describe("mtime", () => {
  test("nanoseconds round-trip exactly through the string (beyond 2^53)", () => {
    for (const ns of [0n, 1n, 1767225600123456789n, 9007199254740993n, 253402300799999999999n, -1n]) {
      const s = mtimeFromNs(ns);
      assert.ok(isMtime(s), s);
      assert.equal(BigInt(s), ns);
    }
  });

  test("the string is plain decimal: two mtimes one nanosecond apart differ", () => {
    assert.equal(mtimeFromNs(1767225600123456789n), "1767225600123456789");
    assert.notEqual(mtimeFromNs(1767225600123456789n), mtimeFromNs(1767225600123456790n));
  });

  test("mtimeToDate keeps milliseconds (drops the sub-millisecond part)", () => {
    assert.equal(mtimeToDate("1767225600123456789").toISOString(), "2026-01-01T00:00:00.123Z");
    assert.equal(mtimeToDate("0").getTime(), 0);
  });

  test("mtimeToSeconds gives fractional seconds for utimes", () => {
    assert.equal(mtimeToSeconds("1500000000"), 1.5);
    assert.equal(mtimeToSeconds("1767225600000000000"), 1767225600);
    // biome-ignore lint/correctness/noPrecisionLoss: the expected value is a double on purpose, compared within 1 µs
    assert.ok(Math.abs(mtimeToSeconds("1767225600123456789") - 1767225600.123456789) < 1e-6);
    assert.equal(mtimeToSeconds("-1500000000"), -1.5);
  });

  test("a Node stat mtimeNs round-trips through seconds to the microsecond", () => {
    const ns = 1767225600123456000n;
    const back = BigInt(Math.round(mtimeToSeconds(mtimeFromNs(ns)) * 1e6)) * 1000n;
    assert.equal(back, ns);
  });

  const rows: Array<[unknown, boolean, string]> = [
    ["1767225600123456789", true, "nanoseconds as a decimal string"],
    ["0", true, "the epoch"],
    ["-5", true, "before the epoch"],
    ["123456789012345678901", true, "21 digits"],
    ["1234567890123456789012", false, "22 digits is out of range"],
    // biome-ignore lint/correctness/noPrecisionLoss: the case is a number that has already lost its precision
    [1767225600123456789, false, "a number (lost precision) is refused"],
    ["", false, "empty"],
    ["1.5", false, "fractional"],
    ["1e9", false, "exponent notation"],
    [" 1", false, "whitespace"],
    ["2026-01-01T00:00:00Z", false, "an ISO date"],
    [null, false, "null"],
  ];
  for (const [value, expected, why] of rows) {
    test(`isMtime: ${why}`, () => assert.equal(isMtime(value), expected));
  }
});
