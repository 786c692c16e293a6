// Reads a version's bytes back from where they were staged: a range of a pack, an object of its own,
// or — for a version adopted from the bucket and never staged — the site object itself.
import { createWriteStream } from "node:fs";
import { pipeline } from "node:stream/promises";
import type { Readable } from "node:stream";
import { GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { RetryableError } from "../core/errors.ts";
import { isPack, type BytesLocation } from "../core/index-record.ts";

export interface StagedBytesSource {
  s3: S3Client;
  versionBucket: string;
  siteBucket: string;
}

/** Streams the bytes of a version of `key` into `path`; checks the length it got against `size`. */
export async function downloadVersion(from: StagedBytesSource, key: string, source: BytesLocation, size: number, path: string): Promise<void> {
  const request =
    source.key === ""
      ? { Bucket: from.siteBucket, Key: key }
      : isPack(source)
        ? { Bucket: from.versionBucket, Key: source.key, ...(source.length > 0 ? { Range: `bytes=${source.offset}-${source.offset + source.length - 1}` } : {}) }
        : { Bucket: from.versionBucket, Key: source.key };
  if (isPack(source) && source.length === 0) {
    await pipeline(async function* () {}, createWriteStream(path, { flags: "wx" }));
    return;
  }
  const res = await from.s3.send(new GetObjectCommand(request));
  let received = 0;
  const counted = async function* (body: Readable) {
    for await (const chunk of body) {
      received += (chunk as Buffer).length;
      yield chunk;
    }
  };
  await pipeline(res.Body as Readable, counted, createWriteStream(path, { flags: "wx" }));
  if (received !== size) throw new RetryableError(`${key}: expected ${size} bytes from ${source.key || "the site bucket"}, got ${received}`);
}

/** A staged version's bytes in memory (for small objects such as a page). */
export async function readStagedBytes(s3: S3Client, versionBucket: string, source: BytesLocation): Promise<Buffer> {
  if (isPack(source) && source.length === 0) return Buffer.alloc(0);
  const res = await s3.send(
    new GetObjectCommand({
      Bucket: versionBucket,
      Key: source.key,
      ...(isPack(source) ? { Range: `bytes=${source.offset}-${source.offset + source.length - 1}` } : {}),
    }),
  );
  return Buffer.from(await res.Body!.transformToByteArray());
}
