// The site bucket as the apply handler writes it: objects with their headers, from staged bytes or copied
// (in parts above S3's single-copy limit), deletes, and the HEAD of the version check.
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  HeadObjectCommand,
  PutObjectCommand,
  UploadPartCopyCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import type { ObjectHead } from "../core/apply-rules.ts";
import { mapLimit } from "../core/concurrency.ts";
import { PermanentError, RetryableError } from "../core/errors.ts";
import { COPY_OF_METADATA } from "../core/publish-rules.ts";
import { drainWithBackoff } from "./backoff.ts";

/** Metadata carrying the index version an object was written for. */
export const VERSION_METADATA = "sitesync-version";

export interface ObjectHeaders {
  contentType: string;
  cacheControl?: string;
  metadata: Record<string, string>;
}

export interface MultipartCopyOptions {
  /** Sources larger than this many bytes are copied in parts. */
  aboveBytes: number;
  /** Preferred part size; grown when 10,000 parts would not cover the object. */
  partBytes: number;
}

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
/** S3's limits: CopyObject copies at most 5 GiB; an upload has at most 10,000 parts of 5 MiB to 5 GiB. */
const MAX_SINGLE_COPY_BYTES = 5 * GiB;
const MAX_PARTS = 10_000;
const MIN_PART_BYTES = 5 * MiB;
const MAX_PART_BYTES = 5 * GiB;

export const MULTIPART_COPY: MultipartCopyOptions = { aboveBytes: MAX_SINGLE_COPY_BYTES, partBytes: 512 * MiB };
/** Part copies of one object in flight: each is a server-side copy, so this bounds S3 load, not memory. */
const PART_COPIES_IN_FLIGHT = 8;

function s3Headers(headers: ObjectHeaders) {
  return {
    ContentType: headers.contentType,
    ...(headers.cacheControl ? { CacheControl: headers.cacheControl } : {}),
    Metadata: headers.metadata,
  };
}

export async function putSiteObject(
  s3: S3Client,
  bucket: string,
  key: string,
  body: Buffer,
  headers: ObjectHeaders,
): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ...s3Headers(headers) }));
}

export interface CopySource {
  bucket: string;
  key: string;
  size: number;
}

/** Copies `source` to `key` with new headers: one CopyObject, or a multipart copy above `multipart.aboveBytes`. */
export async function copyToSite(
  s3: S3Client,
  bucket: string,
  key: string,
  source: CopySource,
  headers: ObjectHeaders,
  multipart: MultipartCopyOptions,
): Promise<void> {
  const copySource = encodeCopySource(source.bucket, source.key);
  if (source.size <= multipart.aboveBytes) {
    await s3.send(
      new CopyObjectCommand({
        Bucket: bucket,
        Key: key,
        CopySource: copySource,
        MetadataDirective: "REPLACE",
        ...s3Headers(headers),
      }),
    );
    return;
  }
  const created = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ...s3Headers(headers) }));
  const uploadId = created.UploadId;
  if (!uploadId) throw new RetryableError(`CreateMultipartUpload for ${key} returned no upload id`);
  try {
    const parts = planCopyParts(source.size, multipart.partBytes);
    const etags = await mapLimit(parts, PART_COPIES_IN_FLIGHT, async (part, n) => {
      const res = await s3.send(
        new UploadPartCopyCommand({
          Bucket: bucket,
          Key: key,
          UploadId: uploadId,
          PartNumber: n + 1,
          CopySource: copySource,
          CopySourceRange: `bytes=${part.start}-${part.end}`,
        }),
      );
      const etag = res.CopyPartResult?.ETag;
      if (!etag) throw new RetryableError(`UploadPartCopy of part ${n + 1} of ${key} returned no ETag`);
      return etag;
    });
    await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key: key,
        UploadId: uploadId,
        MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
      }),
    );
  } catch (err) {
    // Parts of an abandoned upload are stored (and billed) until aborted; the first error is the one to report.
    await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId })).catch(() => {});
    throw err;
  }
}

/**
 * Byte ranges (inclusive) covering `size` bytes: parts of `partBytes`, grown so that 10,000 parts cover the
 * object and kept within S3's 5 MiB–5 GiB (the last part may be smaller).
 */
export function planCopyParts(size: number, partBytes: number): Array<{ start: number; end: number }> {
  const partSize = Math.min(MAX_PART_BYTES, Math.max(MIN_PART_BYTES, partBytes, Math.ceil(size / MAX_PARTS)));
  const parts: Array<{ start: number; end: number }> = [];
  for (let start = 0; start < size; start += partSize) {
    parts.push({ start, end: Math.min(size, start + partSize) - 1 });
  }
  return parts;
}

function encodeCopySource(bucket: string, key: string): string {
  return `${bucket}/${key.split("/").map(encodeURIComponent).join("/")}`;
}

/**
 * The sitesync metadata of the object at `key`, or undefined when there is none. A missing key answers 404
 * only to a caller allowed to list the bucket (otherwise 403), which is why the apply role may list it.
 */
export async function headSiteObject(s3: S3Client, bucket: string, key: string): Promise<ObjectHead | undefined> {
  try {
    const res = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    const metadata = res.Metadata ?? {};
    const head: ObjectHead = {};
    if (metadata[VERSION_METADATA] !== undefined) head.version = metadata[VERSION_METADATA];
    if (metadata[COPY_OF_METADATA] !== undefined) head.copyOf = metadata[COPY_OF_METADATA];
    return head;
  } catch (err) {
    const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
    if (e.name === "NotFound" || e.$metadata?.httpStatusCode === 404) return undefined;
    throw err;
  }
}

// Keys with characters XML 1.0 cannot carry (control characters such as a newline) are deleted one by one:
// DeleteObjects sends keys in an XML body, and the local S3 server silently skips such keys there.
const NOT_XML_SAFE = /[\u0000-\u001f]/;

export async function deleteSiteObjects(s3: S3Client, bucket: string, keys: string[]): Promise<void> {
  const single = keys.filter((k) => NOT_XML_SAFE.test(k));
  const batched = keys.filter((k) => !NOT_XML_SAFE.test(k));
  await Promise.all(single.map((Key) => s3.send(new DeleteObjectCommand({ Bucket: bucket, Key }))));
  for (let i = 0; i < batched.length; i += 1000) {
    await drainWithBackoff(
      batched.slice(i, i + 1000),
      async (pending) => {
        const objects = pending.map((Key) => ({ Key }));
        const res = await s3.send(
          new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: objects, Quiet: true } }),
        );
        const failed = res.Errors ?? [];
        const denied = failed.find((e) => e.Code === "AccessDenied");
        if (denied) throw new PermanentError(`DeleteObjects refused ${denied.Key}: AccessDenied`);
        const retry = new Set(failed.map((e) => e.Key));
        return pending.filter((k) => retry.has(k));
      },
      `DeleteObjects in ${bucket}`,
    );
  }
}
