// Reads of the site bucket for adoption — listings, HeadObject, GetObject of a page. Adoption never
// writes to the bucket, and this module holds every request it makes there.
//
// A directory is one level of the bucket, listed with Delimiter "/": the objects directly in it and the
// common prefixes (subdirectories) below it. Adoption lists every directory this way, many at once, so a
// bucket of millions of keys becomes many small independent listings instead of one long one.
//
// Exactly once: S3 lists keys in UTF-8 byte order and continues after the last key returned. A server that
// sorts differently (fauxqs sorts with localeCompare but continues by code-unit order) repeats keys and
// skips others at page boundaries. A repeat is visible here: the key is kept once and counted. A skip is
// not visible in the listing at all, so a listing that took more than one page says so (`paged`), and the
// caller checks the files it expected there but did not see, one HeadObject each. What such a server
// skips otherwise — keys or subdirectories with no file in the tree — goes unreported as an orphan: the
// listing's faults can cost an upload or a missed deletion, never a wrong one.
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, type S3Client } from "@aws-sdk/client-s3";
import { PermanentError } from "../../core/errors.ts";
import { MAX_PAGE_READ_BYTES, type ListedObject } from "./adopt-rules.ts";

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

export async function listDirectory(s3: S3Client, bucket: string, prefix: string): Promise<ListedDirectory> {
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
    const next = page.IsTruncated ? page.NextContinuationToken : undefined;
    if (next !== undefined && next === token) {
      throw new PermanentError(`listing s3://${bucket}/${prefix} returned the same continuation token twice; the server's listing is broken`);
    }
    token = next;
  } while (token);
  listed.paged = pages > 1;
  return listed;
}

/** Size and time of one object, or undefined if there is none. */
export async function statObject(s3: S3Client, bucket: string, key: string): Promise<ListedObject | undefined> {
  try {
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return { size: head.ContentLength ?? 0, lastModified: head.LastModified ?? new Date(0) };
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

export interface PageObject {
  metadata: Record<string, string>;
  contentType?: string;
  /** Absent when the object is too large to be a listing page worth reading. */
  body?: Buffer;
}

/** An index.html with its metadata, and its bytes when small enough to look for a generated marker. */
export async function readPage(s3: S3Client, bucket: string, key: string, size: number): Promise<PageObject | undefined> {
  try {
    if (size > MAX_PAGE_READ_BYTES) {
      const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      return { metadata: head.Metadata ?? {}, ...(head.ContentType ? { contentType: head.ContentType } : {}) };
    }
    const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const body = Buffer.from(await res.Body!.transformToByteArray());
    return { metadata: res.Metadata ?? {}, ...(res.ContentType ? { contentType: res.ContentType } : {}), body };
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === "NotFound" || e.name === "NoSuchKey" || e.$metadata?.httpStatusCode === 404;
}
