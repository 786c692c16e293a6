// The version store: the bucket only the pipeline reads. It holds staged bytes — packs (many small files in
// one object, each at an offset) and large files as objects of their own — for as long as the retention
// keeps them, which is what restore reads; and the files a run leaves for PostSync and Restore (the keys it
// changed, the listings that changed, the invalidation batches, restore pages): small JSON objects under
// runs/<runId>/, paged so no step holds a whole run.
import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { PermanentError, RetryableError } from "../core/errors.ts";
import { isPack, type BytesLocation } from "../core/index-record.ts";
import { BODY_READS, retrying } from "./backoff.ts";

// ---- keys ----

const pad = (n: number) => String(n).padStart(6, "0");
export const packKey = (runId: string, n: number): string => `packs/${runId}/${pad(n)}.pack`;
export const objectKey = (runId: string, key: string): string =>
  `objects/${runId}/${createHash("sha256").update(key).digest("hex").slice(0, 40)}`;
export const changePageKey = (runId: string, page: number) => `runs/${runId}/changes/${pad(page)}.json`;
export const listingPageKey = (runId: string, page: number) => `runs/${runId}/listings/${pad(page)}.json`;
export const listingResultKey = (runId: string, page: number) => `runs/${runId}/listings/${pad(page)}.result.json`;
export const invalidationPlanKey = (runId: string) => `runs/${runId}/invalidations.json`;
export const restorePageKey = (runId: string, page: number) => `runs/${runId}/restore/${pad(page)}.json`;

// ---- staging ----

/** A pack as the agent builds it: its key, the files in it, and its bytes. */
export interface PackContents {
  key: string;
  files: ArrayLike<unknown>;
  body(): Buffer;
}

/**
 * Stores a pack with the SHA-256 of its bytes, which S3 checks on arrival: a pack damaged on the way fails
 * the PUT (BadDigest) instead of being stored. (Each file in it has its own digest in its manifest entry,
 * which the apply handler checks on every range it reads.)
 */
export async function uploadPack(s3: S3Client, bucket: string, pack: PackContents): Promise<void> {
  const body = pack.body();
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: pack.key,
      Body: body,
      ContentType: "application/octet-stream",
      ChecksumSHA256: createHash("sha256").update(body).digest("base64"),
      Metadata: { "sitesync-files": String(pack.files.length) },
    }),
  );
}

// ---- staged bytes ----

const range = (location: { offset: number; length: number }) =>
  `bytes=${location.offset}-${location.offset + location.length - 1}`;

async function getStaged(s3: S3Client, bucket: string, source: BytesLocation) {
  return s3.send(
    new GetObjectCommand({ Bucket: bucket, Key: source.key, ...(isPack(source) ? { Range: range(source) } : {}) }),
  );
}

/** A staged version's bytes in memory (for small objects such as a page). */
export async function readStagedBytes(s3: S3Client, bucket: string, source: BytesLocation): Promise<Buffer> {
  if (isPack(source) && source.length === 0) return Buffer.alloc(0);
  return retrying(async () => {
    const res = await getStaged(s3, bucket, source);
    return Buffer.from(await res.Body!.transformToByteArray());
  }, BODY_READS);
}

/** A staged version's bytes as a stream; the caller checks how many it got. */
export async function readStagedStream(s3: S3Client, bucket: string, source: BytesLocation): Promise<Readable> {
  // An empty file in a pack has no byte range to ask for.
  if (isPack(source) && source.length === 0) return Readable.from([]);
  return (await getStaged(s3, bucket, source)).Body as Readable;
}

/** Largest span of a pack read with a single ranged GET for the entries of one message. */
const MAX_SPAN_BYTES = 32 * 1024 * 1024;

/** Staged bytes that are not the bytes the agent read: never published. */
export class StagedBytesMismatchError extends PermanentError {
  override readonly name = "StagedBytesMismatchError";
}

const sha256Hex = (bytes: Buffer): string => createHash("sha256").update(bytes).digest("hex");

/**
 * Reads pack entries. Entries of one message usually sit side by side in one pack, so their whole span is
 * fetched with one ranged GET and sliced; anything else is fetched on its own.
 *
 * Each entry is checked against the SHA-256 the agent took as it read the file (S3 returns no checksum for
 * a range of an object). A mismatch is read once more on its own — a transfer error does not repeat — and
 * then refused for good (StagedBytesMismatchError): damaged bytes in the store are never published.
 */
export class PackReader {
  readonly #s3: S3Client;
  readonly #bucket: string;
  readonly #spans = new Map<string, { start: number; end: number; body: Promise<Buffer> }>();

  constructor(s3: S3Client, bucket: string) {
    this.#s3 = s3;
    this.#bucket = bucket;
  }

  /** Starts fetching the spans that cover these locations (those in packs). */
  prefetch(locations: BytesLocation[]): void {
    const ranges = new Map<string, { start: number; end: number }>();
    for (const location of locations) {
      if (!isPack(location)) continue;
      const r = ranges.get(location.key);
      const end = location.offset + location.length;
      ranges.set(
        location.key,
        r ? { start: Math.min(r.start, location.offset), end: Math.max(r.end, end) } : { start: location.offset, end },
      );
    }
    for (const [key, { start, end }] of ranges) {
      if (end - start > MAX_SPAN_BYTES || end === start) continue;
      const body = this.#range(key, start, end);
      body.catch(() => {}); // a failed prefetch is retried per entry by get()
      this.#spans.set(key, { start, end, body });
    }
  }

  /** The bytes at `location`, checked against `sha256` (hex) when the entry has one. */
  async get(location: BytesLocation, sha256?: string): Promise<Buffer> {
    if (!isPack(location)) throw new PermanentError(`not a pack location: ${location.key}`);
    const bytes = await this.#read(location);
    if (sha256 === undefined || sha256Hex(bytes) === sha256) return bytes;
    const { key, offset, length } = location;
    const again = length > 0 ? await this.#range(key, offset, offset + length) : bytes;
    const found = sha256Hex(again);
    if (found === sha256) return again;
    throw new StagedBytesMismatchError(
      `staged bytes s3://${this.#bucket}/${key} [${offset}, +${length}) have SHA-256 ${found}, ` +
        `not the ${sha256} the agent read: refused, not published`,
    );
  }

  async #read(location: { key: string; offset: number; length: number }): Promise<Buffer> {
    if (location.length === 0) return Buffer.alloc(0);
    const span = this.#spans.get(location.key);
    if (span && location.offset >= span.start && location.offset + location.length <= span.end) {
      try {
        const body = await span.body;
        return body.subarray(location.offset - span.start, location.offset - span.start + location.length);
      } catch {
        this.#spans.delete(location.key);
      }
    }
    return this.#range(location.key, location.offset, location.offset + location.length);
  }

  /** One range, read again while its body is cut short: the SDK retries a request, not the body's stream. */
  #range(key: string, start: number, end: number): Promise<Buffer> {
    return retrying(async () => {
      const res = await this.#s3.send(
        new GetObjectCommand({ Bucket: this.#bucket, Key: key, Range: `bytes=${start}-${end - 1}` }),
      );
      const body = Buffer.from(await res.Body!.transformToByteArray());
      if (body.length !== end - start) {
        throw new RetryableError(`staged bytes ${key} [${start}, ${end}) came back as ${body.length} bytes`);
      }
      return body;
    }, BODY_READS);
  }
}

// ---- run artifacts ----

/** Keys changed by one run, one page of at most CHANGES_PER_PAGE. */
export interface ChangePage {
  puts: string[];
  deletes: string[];
}

export const CHANGES_PER_PAGE = 5000;

export async function putJson(s3: S3Client, bucket: string, key: string, value: unknown): Promise<void> {
  await s3.send(
    new PutObjectCommand({ Bucket: bucket, Key: key, Body: JSON.stringify(value), ContentType: "application/json" }),
  );
}

/** A small object's text, read again while its body is cut short. */
export function readText(s3: S3Client, bucket: string, key: string): Promise<string> {
  return retrying(async () => {
    const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return res.Body!.transformToString("utf-8");
  }, BODY_READS);
}

export async function getJson<T>(s3: S3Client, bucket: string, key: string): Promise<T> {
  try {
    return JSON.parse(await readText(s3, bucket, key)) as T;
  } catch (err) {
    if ((err as Error).name === "NoSuchKey")
      throw new PermanentError(`run artifact s3://${bucket}/${key} does not exist`);
    throw err;
  }
}

/**
 * One page of a run's changed keys. A run stores a page before sending its entries, and counts pages
 * concurrently, so a run that died mid-way can count a page that never got stored: its entries were never
 * sent either, so it reads as empty.
 */
export async function getChangePage(s3: S3Client, bucket: string, runId: string, page: number): Promise<ChangePage> {
  try {
    return JSON.parse(await readText(s3, bucket, changePageKey(runId, page))) as ChangePage;
  } catch (err) {
    if ((err as Error).name === "NoSuchKey") return { puts: [], deletes: [] };
    throw err;
  }
}
