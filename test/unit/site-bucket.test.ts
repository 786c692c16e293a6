// How the apply handler splits a copy too large for one CopyObject: S3 takes at most 10,000 parts of
// 5 MiB to 5 GiB (the last may be smaller), and the ranges must cover the object exactly once. And what a
// site write asks S3 to check: the PUT's ChecksumSHA256, the copy's SHA-256 of what it copied.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import type { S3Client } from "@aws-sdk/client-s3";
import { copyToSite, MULTIPART_COPY, planCopyParts, putSiteObject } from "../../aws/site-bucket.ts";
import { PermanentError } from "../../core/errors.ts";

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

describe("site writes carry the file's SHA-256", () => {
  /** An S3 client that records what it is sent and answers with `reply`. */
  const stub = (reply: Record<string, unknown> = {}) => {
    const sent: Array<{ name: string; input: Record<string, unknown> }> = [];
    const client = {
      send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
        sent.push({ name: command.constructor.name, input: command.input });
        return reply;
      },
    } as unknown as S3Client;
    return { client, sent };
  };
  const body = Buffer.from("<p>page</p>");
  const hex = createHash("sha256").update(body).digest("hex");
  const base64 = createHash("sha256").update(body).digest("base64");
  const object = { contentType: "text/html", mtime: "1767225600000000000", version: "v1" };
  const source = { bucket: "versions", key: "objects/run/abc", size: 11 };

  test("a PUT carries the agent's digest as ChecksumSHA256, for S3 to check the body against", async () => {
    const { client, sent } = stub();
    await putSiteObject(client, "site", "www/a.html", body, { ...object, sha256: hex });
    assert.equal(sent[0]?.input.ChecksumSHA256, base64);
  });

  test("a PUT of bytes made here (a listing) carries their own SHA-256", async () => {
    const { client, sent } = stub();
    await putSiteObject(client, "site", "www/index.html", body, object);
    assert.equal(sent[0]?.input.ChecksumSHA256, base64);
  });

  test("a copy asks S3 for the SHA-256 of what it copied, and accepts the agent's digest", async () => {
    const { client, sent } = stub({ CopyObjectResult: { ChecksumSHA256: base64 } });
    await copyToSite(client, "site", "www/big.bin", source, { ...object, sha256: hex }, MULTIPART_COPY);
    assert.equal(sent[0]?.name, "CopyObjectCommand");
    assert.equal(sent[0]?.input.ChecksumAlgorithm, "SHA256");
  });

  test("a copy whose SHA-256 is not the agent's fails permanently, naming both", async () => {
    const other = createHash("sha256").update("other bytes").digest("base64");
    const { client } = stub({ CopyObjectResult: { ChecksumSHA256: other } });
    await assert.rejects(
      copyToSite(client, "site", "www/big.bin", source, { ...object, sha256: hex }, MULTIPART_COPY),
      (err: Error) => {
        assert.ok(err instanceof PermanentError);
        assert.match(err.message, new RegExp(`SHA-256 [0-9a-f]{64} for what it copied, not the ${hex} the agent read`));
        return true;
      },
    );
  });

  test("a copy is not compared when S3 reports no checksum (the local server) or a per-part one", async () => {
    for (const reply of [{ CopyObjectResult: {} }, { CopyObjectResult: { ChecksumSHA256: "abc=-3" } }]) {
      const { client } = stub(reply);
      await copyToSite(client, "site", "www/big.bin", source, { ...object, sha256: hex }, MULTIPART_COPY);
    }
  });

  test("an adopted original (no digest) is copied without asking for a checksum", async () => {
    const { client, sent } = stub({ CopyObjectResult: {} });
    await copyToSite(client, "site", "www/copy.html", source, object, MULTIPART_COPY);
    assert.equal(sent[0]?.input.ChecksumAlgorithm, undefined);
  });
});
