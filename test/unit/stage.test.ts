// How the agent splits a large file into multipart-upload parts: S3 takes at most 10,000 parts of 5 MiB to
// 5 GiB each, for objects up to 5 TiB, and the host must not buffer more than a few parts at once.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { stagingUploadShape } from "../../aws/version-store-uploads.ts";

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const TiB = 1024 * GiB;

describe("stagingUploadShape(size)", () => {
  for (const size of [4 * MiB, 100 * MiB, 5 * GiB + 1, 78 * GiB, 80 * GiB, 500 * GiB, 5 * TiB]) {
    test(`${size} bytes fit in at most 10,000 parts of 5 MiB to 5 GiB, with bounded memory`, () => {
      const { partSize, queueSize } = stagingUploadShape(size);
      assert.ok(Math.ceil(size / partSize) <= 10_000, `${Math.ceil(size / partSize)} parts`);
      assert.ok(partSize >= 5 * MiB && partSize <= 5 * GiB, `part size ${partSize}`);
      assert.ok(queueSize >= 1, "at least one part in flight");
      assert.ok(partSize * queueSize <= Math.max(32 * MiB, partSize), `${partSize * queueSize} bytes buffered`);
    });
  }

  test("ordinary large files keep 8 MiB parts, four in flight", () => {
    assert.deepEqual(stagingUploadShape(200 * MiB), { partSize: 8 * MiB, queueSize: 4 });
  });

  test("a file just over 78 GiB, which 8 MiB parts cannot carry, gets larger parts", () => {
    const size = 80 * GiB;
    assert.ok(Math.ceil(size / (8 * MiB)) > 10_000, "8 MiB parts would need more than 10,000");
    assert.ok(stagingUploadShape(size).partSize > 8 * MiB);
  });
});
