// Reads a version's bytes back from where they were staged: a range of a pack, an object of its own,
// or — for a version adopted from the bucket and never staged — the site object itself.
import type { FileHandle } from "node:fs/promises";
import type { Readable } from "node:stream";
import { GetObjectCommand, type GetObjectCommandOutput, type S3Client } from "@aws-sdk/client-s3";
import { BadInputError, RetryableError } from "../core/errors.ts";
import { isPack, type BytesLocation } from "../core/index-record.ts";

export interface StagedBytesSource {
  s3: S3Client;
  versionBucket: string;
  siteBucket: string;
}

/** Streams the bytes of a version of `key` into `into`; checks the length it got against `size`. */
export async function downloadVersion(
  from: StagedBytesSource,
  key: string,
  source: BytesLocation,
  size: number,
  into: FileHandle,
): Promise<void> {
  if (isPack(source) && source.length === 0) return;
  const request =
    source.key === ""
      ? { Bucket: from.siteBucket, Key: key }
      : {
          Bucket: from.versionBucket,
          Key: source.key,
          ...(isPack(source) ? { Range: `bytes=${source.offset}-${source.offset + source.length - 1}` } : {}),
        };
  const res = await from.s3.send(new GetObjectCommand(request));
  await copyBody(res, into, size, `${key}: from ${source.key || "the site bucket"}`);
}

/**
 * Streams the site object of `key` into `into`, only if it is `version` (the apply handler's
 * x-amz-meta-sitesync-version) of `size` bytes: BadInputError otherwise, with nothing written.
 */
export async function downloadPublished(
  from: StagedBytesSource,
  key: string,
  version: string,
  size: number,
  into: FileHandle,
): Promise<void> {
  const res = await from.s3.send(new GetObjectCommand({ Bucket: from.siteBucket, Key: key }));
  const found = res.Metadata?.["sitesync-version"];
  if (found !== version || res.ContentLength !== size) {
    (res.Body as Readable | undefined)?.destroy();
    throw new BadInputError(
      `the site object is version ${found ?? "(none)"} of ${res.ContentLength} bytes, ` +
        `not version ${version} of ${size}`,
    );
  }
  await copyBody(res, into, size, `${key}: from the site bucket`);
}

async function copyBody(res: GetObjectCommandOutput, into: FileHandle, size: number, what: string): Promise<void> {
  let received = 0;
  for await (const chunk of res.Body as Readable) {
    const bytes = chunk as Buffer;
    for (let offset = 0; offset < bytes.length; ) {
      offset += (await into.write(bytes, offset, bytes.length - offset)).bytesWritten;
    }
    received += bytes.length;
  }
  if (received !== size) throw new RetryableError(`${what}: expected ${size} bytes, got ${received}`);
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
