// Staging: changed bytes go to the version store before any manifest names them. Small files are
// appended into packs (one S3 object holding many files, each at an offset), so a changed small file
// costs a share of one PUT here plus its one site PUT in the apply handler. Large files get an object of
// their own, uploaded in parts.
//
// A file is published only as read whole and unchanged: its size and mtime are taken before and after the
// read, and a file that changed meanwhile is read again, then left for the next run.
import { type BigIntStats, constants } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";
import type { S3Client } from "@aws-sdk/client-s3";
import { uploadStagedObject } from "../../aws/version-store-uploads.ts";
import { mtimeFromNs } from "../../core/mtime.ts";

export type ReadFailure = { ok: false; reason: "vanished" | "unstable" | "unreadable" | "grew"; detail: string };
export type ReadResult = { ok: true; bytes: Buffer; size: number; mtime: string } | ReadFailure;
export type StageResult = { ok: true; size: number; mtime: string } | ReadFailure;

const READ_ATTEMPTS = 3;

// Never through a symbolic link swapped in after the scan (it could publish a file from outside the tree),
// and never blocking on a FIFO swapped in (opening one for reading waits for a writer, forever).
const READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/** Reads a whole file, verifying it did not change during the read. Refuses files over `maxBytes`. */
export async function readStable(path: Buffer, maxBytes: number): Promise<ReadResult> {
  for (let attempt = 0; attempt < READ_ATTEMPTS; attempt++) {
    let handle: FileHandle;
    try {
      handle = await open(path, READ_FLAGS);
    } catch (err) {
      return failure(err);
    }
    try {
      const before = await handle.stat({ bigint: true });
      if (!before.isFile()) return { ok: false, reason: "vanished", detail: "no longer a regular file" };
      if (before.size > BigInt(maxBytes)) return { ok: false, reason: "grew", detail: `now ${before.size} bytes` };
      const bytes = await handle.readFile();
      const after = await handle.stat({ bigint: true });
      if (before.size === after.size && before.mtimeNs === after.mtimeNs && BigInt(bytes.length) === after.size) {
        return { ok: true, bytes, size: bytes.length, mtime: mtimeFromNs(after.mtimeNs) };
      }
    } catch (err) {
      return failure(err);
    } finally {
      await handle.close();
    }
  }
  return {
    ok: false,
    reason: "unstable",
    detail: `still changing after ${READ_ATTEMPTS} reads; left for the next run`,
  };
}

function failure(err: unknown): ReadFailure {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return { ok: false, reason: "vanished", detail: "deleted before it could be read" };
  if (code === "ELOOP")
    return { ok: false, reason: "vanished", detail: "replaced by a symbolic link, which is never followed" };
  return { ok: false, reason: "unreadable", detail: `${code ?? "error"}: ${(err as Error).message}` };
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

  body(): Buffer {
    return Buffer.concat(this.#chunks, this.bytes);
  }
}

/**
 * Streams a large file into its own object in the version store (multipart above one part). Returns the
 * size and mtime it was read at, or why it was not staged.
 */
export async function stageLargeFile(s3: S3Client, bucket: string, key: string, path: Buffer): Promise<StageResult> {
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
      if (!before.isFile()) return { ok: false, reason: "vanished", detail: "no longer a regular file" };
      // Bounded to the size seen before the read, which also tells the uploader how many parts to expect.
      const body = handle.createReadStream({ autoClose: false, start: 0, end: Math.max(0, Number(before.size) - 1) });
      // A read error (EIO, ESTALE on a flaky mount) is this file's problem: it is left for the next run and
      // the run goes on. Anything else the upload throws is the store's, and fails the run.
      let readError: unknown;
      body.on("error", (err) => {
        readError ??= err;
      });
      try {
        await uploadStagedObject(s3, bucket, key, body, Number(before.size));
      } catch (err) {
        if (readError !== undefined) return failure(readError);
        throw err;
      }
      let after: BigIntStats;
      try {
        after = await handle.stat({ bigint: true });
      } catch (err) {
        return failure(err);
      }
      if (before.size === after.size && before.mtimeNs === after.mtimeNs) {
        return { ok: true, size: Number(after.size), mtime: mtimeFromNs(after.mtimeNs) };
      }
    } finally {
      await handle.close();
    }
  }
  return {
    ok: false,
    reason: "unstable",
    detail: `still changing after ${READ_ATTEMPTS} reads; left for the next run`,
  };
}
