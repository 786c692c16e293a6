// Staging: changed bytes go to the version store before any manifest names them. Small files are
// appended into packs (one S3 object holding many files, each at an offset), so a changed small file
// costs a share of one PUT here plus its one site PUT in the apply handler. Large files get an object of
// their own, uploaded in parts.
//
// A file is published only as read whole and unchanged: its size, mtime and ctime are taken before and after
// the read, and a file that changed meanwhile is read again, then left for the next run. A file modified
// within the settle window (mtime or ctime, at the read) is left too, unread. Every read digests the bytes
// (SHA-256): the digest goes into the index and the manifest, so the apply handler can refuse bytes that are
// not what was read, and a file uploaded again with the same bytes is recognised and not published again.
// Its first bytes also say whether a name with no type of its own is text (core/content-type.ts).
import { createHash } from "node:crypto";
import { type BigIntStats, constants } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";
import { type Readable, Transform } from "node:stream";
import type { S3Client } from "@aws-sdk/client-s3";
import { uploadStagedObject } from "../../aws/version-store-uploads.ts";
import { type ContentSniff, looksLikeText, SNIFF_BYTES } from "../../core/content-type.ts";
import { mtimeFromNs } from "../../core/mtime.ts";
import { PERMISSION_FIX } from "./scan.ts";

export type ReadFailure = {
  ok: false;
  reason: "vanished" | "unstable" | "unreadable" | "grew" | "settling";
  detail: string;
};

/** What a read saw: the file's status at the read, the SHA-256 (hex) of its bytes, whether they look like text. */
export interface ReadStat extends ContentSniff {
  size: number;
  mtime: string;
  ctime: string;
  ino: string;
  sha256: string;
}

export type ReadResult = ({ ok: true; bytes: Buffer } & ReadStat) | ReadFailure;
export type StageResult = ({ ok: true } & ReadStat) | ReadFailure;

/** Whether a file with these times (nanoseconds, decimal) is still within the settle window. */
export type SettlingCheck = (times: { mtime: string; ctime: string }) => boolean;

const READ_ATTEMPTS = 3;

// Never through a symbolic link swapped in after the scan (it could publish a file from outside the tree),
// and never blocking on a FIFO swapped in (opening one for reading waits for a writer, forever).
const READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

const UNSTABLE: ReadFailure = {
  ok: false,
  reason: "unstable",
  detail: `still changing after ${READ_ATTEMPTS} reads; left for the next run`,
};

const VANISHED: ReadFailure = {
  ok: false,
  reason: "vanished",
  detail: "deleted or moved since the scan, before it could be read; the next run takes the tree as it is then",
};

const NOT_A_FILE: ReadFailure = { ok: false, reason: "vanished", detail: "no longer a regular file" };

const SETTLING: ReadFailure = {
  ok: false,
  reason: "settling",
  detail: "modified within the settle window; left for the next run",
};

/** The same file, unchanged: size, mtime and ctime (which any write moves, whatever mtime a client sets). */
function sameStat(a: BigIntStats, b: BigIntStats): boolean {
  return a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs && a.ino === b.ino;
}

function readStat(st: BigIntStats, sha256: string, head: Uint8Array): ReadStat {
  return {
    size: Number(st.size),
    mtime: mtimeFromNs(st.mtimeNs),
    ctime: mtimeFromNs(st.ctimeNs),
    ino: st.ino.toString(),
    sha256,
    looksText: looksLikeText(head),
  };
}

const settles = (st: BigIntStats, settling: SettlingCheck | undefined) =>
  settling?.({ mtime: mtimeFromNs(st.mtimeNs), ctime: mtimeFromNs(st.ctimeNs) }) ?? false;

/** Reads a whole file, verifying it did not change during the read. Refuses files over `maxBytes`. */
export async function readStable(path: Buffer, maxBytes: number, settling?: SettlingCheck): Promise<ReadResult> {
  for (let attempt = 0; attempt < READ_ATTEMPTS; attempt++) {
    let handle: FileHandle;
    try {
      handle = await open(path, READ_FLAGS);
    } catch (err) {
      return failure(err);
    }
    try {
      const before = await handle.stat({ bigint: true });
      if (!before.isFile()) return NOT_A_FILE;
      if (before.size > BigInt(maxBytes)) return { ok: false, reason: "grew", detail: `now ${before.size} bytes` };
      if (settles(before, settling)) return SETTLING;
      const bytes = await handle.readFile();
      const after = await handle.stat({ bigint: true });
      if (sameStat(before, after) && BigInt(bytes.length) === after.size) {
        return { ok: true, bytes, ...readStat(after, createHash("sha256").update(bytes).digest("hex"), bytes) };
      }
    } catch (err) {
      return failure(err);
    } finally {
      await handle.close();
    }
  }
  return UNSTABLE;
}

function failure(err: unknown): ReadFailure {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return VANISHED;
  if (code === "ELOOP")
    return { ok: false, reason: "vanished", detail: "replaced by a symbolic link, which is never followed" };
  const detail = `${code ?? "error"}: ${(err as Error).message}`;
  const permission = code === "EACCES" || code === "EPERM";
  return { ok: false, reason: "unreadable", detail: permission ? `${detail}; ${PERMISSION_FIX}` : detail };
}

export interface PackedFile<T> {
  item: T;
  offset: number;
  length: number;
}

/** Accumulates small files into one pack; the caller decides when it is full and uploads it. */
export class PackBuilder<T> {
  readonly key: string;
  readonly files: Array<PackedFile<T>> = [];
  readonly #chunks: Buffer[] = [];
  bytes = 0;

  constructor(key: string) {
    this.key = key;
  }

  add(item: T, bytes: Buffer): PackedFile<T> {
    const packed = { item, offset: this.bytes, length: bytes.length };
    this.#chunks.push(bytes);
    this.files.push(packed);
    this.bytes += bytes.length;
    return packed;
  }

  /** The pack's bytes, once: the files' own buffers are let go, so a pack is never held twice. */
  body(): Buffer {
    const body = Buffer.concat(this.#chunks, this.bytes);
    this.#chunks.length = 0;
    return body;
  }
}

/**
 * Streams a large file into its own object in the version store (multipart above one part), digesting it on
 * the way. Returns the status and digest it was read at, or why it was not staged.
 */
export function stageLargeFile(
  s3: S3Client,
  bucket: string,
  key: string,
  path: Buffer,
  settling?: SettlingCheck,
): Promise<StageResult> {
  return streamStable(path, settling, (body, size) => uploadStagedObject(s3, bucket, key, body, size));
}

/**
 * Digests a large file without storing it: for a file whose record has a digest, read first so that the same
 * bytes uploaded again are recognised without a second copy in the version store.
 */
export function digestLargeFile(path: Buffer, settling?: SettlingCheck): Promise<StageResult> {
  return streamStable(path, settling, async (body) => {
    for await (const _ of body) {
      // the digest is taken on the way through
    }
  });
}

/**
 * Reads a file as a stream through `consume`, digesting it, verified unchanged from before the read to after
 * it; a file that changed is read again, up to READ_ATTEMPTS times.
 */
async function streamStable(
  path: Buffer,
  settling: SettlingCheck | undefined,
  consume: (body: Readable, size: number) => Promise<void>,
): Promise<StageResult> {
  for (let attempt = 0; attempt < READ_ATTEMPTS; attempt++) {
    let handle: FileHandle;
    try {
      handle = await open(path, READ_FLAGS);
    } catch (err) {
      return failure(err);
    }
    try {
      let before: BigIntStats;
      try {
        before = await handle.stat({ bigint: true });
      } catch (err) {
        return failure(err);
      }
      if (!before.isFile()) return NOT_A_FILE;
      if (settles(before, settling)) return SETTLING;
      // Bounded to the size seen before the read, which also tells the uploader how many parts to expect.
      const file = handle.createReadStream({ autoClose: false, start: 0, end: Math.max(0, Number(before.size) - 1) });
      const hash = createHash("sha256");
      let head = Buffer.alloc(0);
      let read = 0n;
      const digesting = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          hash.update(chunk);
          if (head.length < SNIFF_BYTES) head = Buffer.concat([head, chunk.subarray(0, SNIFF_BYTES - head.length)]);
          read += BigInt(chunk.length);
          done(null, chunk);
        },
      });
      // A read error (EIO, ESTALE on a flaky mount) is this file's problem: it is left for the next run and
      // the run goes on. Anything else the consumer throws is the store's, and fails the run.
      let readError: unknown;
      file.on("error", (err) => {
        readError ??= err;
        digesting.destroy(err);
      });
      file.pipe(digesting);
      try {
        await consume(digesting, Number(before.size));
      } catch (err) {
        if (readError !== undefined) return failure(readError);
        throw err;
      }
      if (readError !== undefined) return failure(readError);
      let after: BigIntStats;
      try {
        after = await handle.stat({ bigint: true });
      } catch (err) {
        return failure(err);
      }
      if (sameStat(before, after) && read === after.size) {
        return { ok: true, ...readStat(after, hash.digest("hex"), head) };
      }
    } finally {
      await handle.close();
    }
  }
  return UNSTABLE;
}
