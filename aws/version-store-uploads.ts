// The version store's multipart uploads of large staged files. Apart from version-store.ts so that the
// Lambda bundles, which read the store but never upload to it like this, do not carry @aws-sdk/lib-storage.
import { randomUUID } from "node:crypto";
import type { Readable } from "node:stream";
import { HeadObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";

const MiB = 1024 * 1024;
const BASE_PART_BYTES = 8 * MiB;
/** S3 takes at most this many parts in one upload. */
const MAX_PARTS = 10_000;
/** Parts being uploaded at once hold about this much memory on the host. */
const IN_FLIGHT_BYTES = 32 * MiB;

/**
 * Part size and parts in flight for a staged upload of `size` bytes. A fixed 8 MiB part caps an object at
 * 78 GiB (10,000 parts), so parts grow with the file; fewer of the larger parts are in flight so memory
 * stays bounded.
 */
export function stagingUploadShape(size: number): { partSize: number; queueSize: number } {
  const partSize = Math.max(BASE_PART_BYTES, Math.ceil(size / MAX_PARTS / MiB) * MiB);
  return { partSize, queueSize: Math.max(1, Math.floor(IN_FLIGHT_BYTES / partSize)) };
}

/**
 * Streams `body` (`size` bytes, read by the caller) into an object of its own, in parts above one part.
 * A read error of the stream fails the upload too: the caller, listening on its stream, tells them apart.
 * Every part (or the one PUT) carries its SHA-256, which S3 checks on arrival: a part damaged on the way
 * fails the upload (BadDigest) instead of being stored. The whole file's digest is the caller's to take.
 */
export async function uploadStagedObject(
  s3: S3Client,
  bucket: string,
  key: string,
  body: Readable,
  size: number,
): Promise<void> {
  // Names this upload in the object it makes, so a lost answer can be told from another upload's object.
  const uploadId = randomUUID();
  const upload = new Upload({
    client: s3,
    params: {
      Bucket: bucket,
      Key: key,
      Body: body,
      ContentType: "application/octet-stream",
      ChecksumAlgorithm: "SHA256",
      Metadata: { [UPLOAD_METADATA]: uploadId },
    },
    ...stagingUploadShape(size),
  });
  try {
    await upload.done();
  } catch (err) {
    if (!(await completedAnyway(err, s3, bucket, key, uploadId))) throw err;
  }
}

const UPLOAD_METADATA = "sitesync-upload";

/**
 * A CompleteMultipartUpload that S3 carried out but whose answer was lost is retried by the SDK, and the
 * retry finds no such upload: if the object at the key is this upload's, it did complete. Anything else is
 * the error it says it is.
 */
async function completedAnyway(err: unknown, s3: S3Client, bucket: string, key: string, uploadId: string) {
  if ((err as Error).name !== "NoSuchUpload") return false;
  try {
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return head.Metadata?.[UPLOAD_METADATA] === uploadId;
  } catch {
    return false;
  }
}
