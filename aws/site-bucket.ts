// The site bucket: the one write path for site objects (PUT of staged bytes, copy from the version store or
// the bucket itself, in parts above S3's single-copy limit), with headers and metadata made in one place;
// deletes; the HEAD of the apply handler's version check; the reads of adoption (a directory's listing,
// HEADs, a page's bytes) and of host restore (a published object's bytes).
//
// Adoption lists a directory as one level of the bucket, with Delimiter "/": the objects directly in it
// and the common prefixes (subdirectories) below it, many directories at once, so a bucket of millions of
// keys becomes many small independent listings instead of one long one. Exactly once: S3 lists keys in
// UTF-8 byte order and continues after the last key returned. A server that sorts differently (fauxqs sorts
// with localeCompare but continues by code-unit order) repeats keys and skips others at page boundaries. A
// repeat is visible here: the key is kept once and counted. A skip is not visible in the listing at all,
// so a listing that took more than one page says so (`paged`), and the caller checks the files it expected
// there but did not see, one HeadObject each.
import { createHash } from "node:crypto";
import type { Readable } from "node:stream";
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  UploadPartCopyCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import type { ObjectHead } from "../core/apply-rules.ts";
import { mapLimit } from "../core/concurrency.ts";
import { BadInputError, PermanentError, RetryableError } from "../core/errors.ts";
import type { DesiredPut } from "../core/index-record.ts";
import { GENERATED_METADATA } from "../core/index-page.ts";
import { mtimeToSeconds } from "../core/mtime.ts";
import { COPY_OF_METADATA, copyOfValue } from "../core/publish-rules.ts";
import { BODY_READS, drainWithBackoff, retrying } from "./backoff.ts";

/** Metadata carrying the index version an object was written for. */
const VERSION_METADATA = "sitesync-version";

/** What a site object is; its headers and metadata are made from this, the same way for every write. */
export interface SiteObject {
  contentType: string;
  cacheControl?: string;
  /** Nanoseconds since the epoch (core/mtime.ts) of the file it publishes. */
  mtime: string;
  /** The index version the object holds. */
  version: string;
  /** The original's key, for a rewrite copy. */
  copyOf?: string;
  /** A listing page PostSync generated. */
  generated?: boolean;
  /**
   * SHA-256 (hex) of the bytes as the agent read the file. A PUT carries it as ChecksumSHA256, so S3 refuses
   * a body that is not those bytes; a copy asks S3 for the SHA-256 of what it copied and compares.
   */
  sha256?: string;
}

/** The site object publishing `desired`, at the original's key or (with `copyOf`) at a copy's. */
export function siteObject(desired: DesiredPut, cacheControl: string | undefined, copyOf?: string): SiteObject {
  return {
    contentType: desired.contentType,
    ...(cacheControl ? { cacheControl } : {}),
    mtime: desired.mtime,
    version: desired.version,
    ...(copyOf !== undefined ? { copyOf } : {}),
    ...(desired.sha256 !== undefined ? { sha256: desired.sha256 } : {}),
  };
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

function s3Headers(object: SiteObject) {
  return {
    ContentType: object.contentType,
    ...(object.cacheControl ? { CacheControl: object.cacheControl } : {}),
    Metadata: {
      mtime: formatMtime(object.mtime),
      [VERSION_METADATA]: object.version,
      ...(object.copyOf !== undefined ? { [COPY_OF_METADATA]: copyOfValue(object.copyOf) } : {}),
      ...(object.generated ? GENERATED_METADATA : {}),
    },
  };
}

/** Seconds with nine decimals, the `mtime` metadata convention of rclone and s3cmd. */
function formatMtime(mtime: string): string {
  return mtimeToSeconds(mtime)
    .toFixed(9)
    .replace(/\.?0+$/, "");
}

/**
 * Writes `body` as `object`. The PUT carries the SHA-256 of the bytes the agent read (or, for bytes made here
 * such as a listing, of `body`): S3 checks the body against it and refuses the write (BadDigest) if they
 * differ, so what lands at the key is what was read on the host, or nothing.
 */
export async function putSiteObject(
  s3: S3Client,
  bucket: string,
  key: string,
  body: Buffer,
  object: SiteObject,
): Promise<void> {
  const sha256 = object.sha256 ?? createHash("sha256").update(body).digest("hex");
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: body,
      ChecksumSHA256: Buffer.from(sha256, "hex").toString("base64"),
      ...s3Headers(object),
    }),
  );
}

export interface CopySource {
  bucket: string;
  key: string;
  size: number;
}

/** Copies `source` to `key` as `object`: one CopyObject, or a multipart copy above `multipart.aboveBytes`. */
export async function copyToSite(
  s3: S3Client,
  bucket: string,
  key: string,
  source: CopySource,
  object: SiteObject,
  multipart: MultipartCopyOptions,
): Promise<void> {
  const copySource = encodeCopySource(source.bucket, source.key);
  if (source.size <= multipart.aboveBytes) {
    const res = await s3.send(
      new CopyObjectCommand({
        Bucket: bucket,
        Key: key,
        CopySource: copySource,
        MetadataDirective: "REPLACE",
        // S3 computes the SHA-256 of the bytes it copied; one CopyObject makes one part, so it is the whole
        // object's, comparable with the digest the agent took as it read the file.
        ...(object.sha256 !== undefined ? { ChecksumAlgorithm: "SHA256" as const } : {}),
        ...s3Headers(object),
      }),
    );
    checkCopiedDigest(key, source, object.sha256, res.CopyObjectResult?.ChecksumSHA256);
    return;
  }
  const created = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ...s3Headers(object) }));
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
 * A copy whose SHA-256 (as S3 reports it for the copied bytes) is not the agent's fails permanently. The
 * object is already at the key then (S3 has no conditional copy on a checksum): the entry is not recorded
 * published, its message is parked, and the dead-letter alarm says which key to look at. A server that
 * reports no checksum for a copy (the local one) or a per-part one ("…-N") is not compared.
 */
function checkCopiedDigest(key: string, source: CopySource, sha256: string | undefined, found: string | undefined) {
  if (sha256 === undefined || found === undefined || found.includes("-")) return;
  const hex = Buffer.from(found, "base64").toString("hex");
  if (hex === sha256) return;
  throw new PermanentError(
    `copied s3://${source.bucket}/${source.key} to ${key}, and S3 reports SHA-256 ${hex} for what it copied, ` +
      `not the ${sha256} the agent read: the staged bytes are not the file's; not recorded as published`,
  );
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
    if (isNotFound(err)) return undefined;
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

// ---- reads ----

/** An object as a listing or a HEAD shows it. */
export interface ListedObject {
  size: number;
  lastModified: Date;
}

export interface ListedDirectory {
  /** Objects directly under the prefix, by name (the key without the prefix). */
  objects: Map<string, ListedObject>;
  /** Common prefixes one level down, as names without the trailing "/". */
  subdirs: Set<string>;
  /** The listing took more than one page, so a server that does not sort like S3 may have skipped keys. */
  paged: boolean;
  /** Keys the server returned more than once (each kept once). */
  repeated: number;
}

/** One level of the bucket under `prefix` (see the top of this file for the exactly-once rules). */
export async function listSiteDirectory(s3: S3Client, bucket: string, prefix: string): Promise<ListedDirectory> {
  const listed: ListedDirectory = { objects: new Map(), subdirs: new Set(), paged: false, repeated: 0 };
  let token: string | undefined;
  let pages = 0;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, Delimiter: "/", ContinuationToken: token }),
    );
    pages++;
    for (const object of page.Contents ?? []) {
      const name = object.Key!.slice(prefix.length);
      if (listed.objects.has(name)) {
        listed.repeated++;
        continue;
      }
      listed.objects.set(name, { size: object.Size ?? 0, lastModified: object.LastModified ?? new Date(0) });
    }
    // A prefix repeated across pages is the same subdirectory: nothing to count.
    for (const common of page.CommonPrefixes ?? []) listed.subdirs.add(common.Prefix!.slice(prefix.length, -1));
    token = nextToken(bucket, prefix, token, page.IsTruncated ? page.NextContinuationToken : undefined);
  } while (token);
  listed.paged = pages > 1;
  return listed;
}

/** Every object of the bucket, page by page (for a report, not for adoption's directory walk). */
export async function* listSiteObjects(
  s3: S3Client,
  bucket: string,
): AsyncGenerator<Array<{ key: string; size: number }>> {
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
    yield (page.Contents ?? []).map((o) => ({ key: o.Key!, size: o.Size ?? 0 }));
    token = nextToken(bucket, "", token, page.IsTruncated ? page.NextContinuationToken : undefined);
  } while (token);
}

function nextToken(
  bucket: string,
  prefix: string,
  token: string | undefined,
  next: string | undefined,
): string | undefined {
  if (next !== undefined && next === token) {
    throw new PermanentError(
      `listing s3://${bucket}/${prefix} returned the same continuation token twice; the server's listing is broken`,
    );
  }
  return next;
}

/** Size, time and Content-Type of one object, or undefined if there is none. */
export async function statSiteObject(
  s3: S3Client,
  bucket: string,
  key: string,
): Promise<(ListedObject & { contentType?: string }) | undefined> {
  try {
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    const stat = { size: head.ContentLength ?? 0, lastModified: head.LastModified ?? new Date(0) };
    return head.ContentType ? { ...stat, contentType: head.ContentType } : stat;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

export interface PageObject {
  metadata: Record<string, string>;
  contentType?: string;
  /** Absent when the object is larger than the caller wanted to read. */
  body?: Buffer;
}

/** An object's metadata, and its bytes when it is at most `maxBodyBytes` (`size` is what its listing said). */
export async function readSitePage(
  s3: S3Client,
  bucket: string,
  key: string,
  size: number,
  maxBodyBytes: number,
): Promise<PageObject | undefined> {
  try {
    if (size > maxBodyBytes) {
      const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      return { metadata: head.Metadata ?? {}, ...(head.ContentType ? { contentType: head.ContentType } : {}) };
    }
    // Read again while the body is cut short: the SDK retries the request, not the body's stream.
    const { res, body } = await retrying(async () => {
      const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return { res, body: Buffer.from(await res.Body!.transformToByteArray()) };
    }, BODY_READS);
    return { metadata: res.Metadata ?? {}, ...(res.ContentType ? { contentType: res.ContentType } : {}), body };
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** The bytes of the object at `key`, whatever version it is (an adopted version's only copy). */
export async function readSiteObject(s3: S3Client, bucket: string, key: string): Promise<Readable> {
  const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return res.Body as Readable;
}

/**
 * The bytes of the object at `key`, only if it is `version` (VERSION_METADATA) of `size` bytes:
 * BadInputError otherwise, with the body left unread.
 */
export async function readPublishedVersion(
  s3: S3Client,
  bucket: string,
  key: string,
  version: string,
  size: number,
): Promise<Readable> {
  const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const found = res.Metadata?.[VERSION_METADATA];
  if (found !== version || res.ContentLength !== size) {
    (res.Body as Readable | undefined)?.destroy();
    throw new BadInputError(
      `the site object is version ${found ?? "(none)"} of ${res.ContentLength} bytes, ` +
        `not version ${version} of ${size}`,
    );
  }
  return res.Body as Readable;
}

/** An object as an origin answers a viewer (the local CloudFront, local/serve.ts): its headers and bytes. */
export interface ServedObject {
  /** 200, or the error status S3 answered (403, 404). */
  status: number;
  contentType?: string;
  contentLength?: number;
  etag?: string;
  lastModified?: Date;
  cacheControl?: string;
  metadata: Record<string, string>;
  /** Absent for a HEAD or an error. */
  body?: Readable;
}

/** GET (or HEAD) of the object at `key`, answering 403 and 404 as a status instead of an error. */
export async function serveSiteObject(
  s3: S3Client,
  bucket: string,
  key: string,
  method: "GET" | "HEAD",
): Promise<ServedObject> {
  try {
    const res =
      method === "HEAD"
        ? await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }))
        : await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return {
      status: 200,
      ...(res.ContentType !== undefined ? { contentType: res.ContentType } : {}),
      ...(res.ContentLength !== undefined ? { contentLength: res.ContentLength } : {}),
      ...(res.ETag !== undefined ? { etag: res.ETag } : {}),
      ...(res.LastModified !== undefined ? { lastModified: res.LastModified } : {}),
      ...(res.CacheControl !== undefined ? { cacheControl: res.CacheControl } : {}),
      metadata: res.Metadata ?? {},
      ...("Body" in res && res.Body ? { body: res.Body as Readable } : {}),
    };
  } catch (err) {
    const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status === 403 || status === 404) return { status, metadata: {} };
    throw err;
  }
}

function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === "NotFound" || e.name === "NoSuchKey" || e.$metadata?.httpStatusCode === 404;
}
