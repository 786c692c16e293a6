// How the apply handler splits a copy too large for one CopyObject: S3 takes at most 10,000 parts of
// 5 MiB to 5 GiB (the last may be smaller), and the ranges must cover the object exactly once.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { MULTIPART_COPY, planCopyParts } from "../../aws/site-bucket.ts";

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const TiB = 1024 * GiB;

describe("planCopyParts(size, partBytes)", () => {
  for (const size of [5 * GiB + 1, 100 * GiB, 4.9 * TiB, 5 * TiB]) {
    test(`${size} bytes: at most 10,000 contiguous parts of 5 MiB to 5 GiB`, () => {
      const parts = planCopyParts(size, MULTIPART_COPY.partBytes);
      assert.ok(parts.length <= 10_000, `${parts.length} parts`);
      parts.forEach((p, i) => {
        assert.equal(p.start, i === 0 ? 0 : parts[i - 1]!.end + 1, "contiguous");
        const bytes = p.end - p.start + 1;
        assert.ok(bytes <= 5 * GiB, `part ${i + 1}: ${bytes} bytes`);
        if (i < parts.length - 1) assert.ok(bytes >= 5 * MiB, `part ${i + 1}: ${bytes} bytes`);
      });
      assert.equal(parts.at(-1)!.end, size - 1, "the last part ends at the last byte");
    });
  }

  test("the preferred part size is used when 10,000 parts of it cover the object", () => {
    assert.deepEqual(planCopyParts(11 * MiB, 5 * MiB), [
      { start: 0, end: 5 * MiB - 1 },
      { start: 5 * MiB, end: 10 * MiB - 1 },
      { start: 10 * MiB, end: 11 * MiB - 1 },
    ]);
  });

  test("a part size below S3's minimum is raised to 5 MiB", () => {
    assert.equal(planCopyParts(12 * MiB, 1 * MiB).length, 3);
  });

  test("production copies in parts only above 5 GiB, what one CopyObject can copy", () => {
    assert.equal(MULTIPART_COPY.aboveBytes, 5 * GiB);
  });
});
