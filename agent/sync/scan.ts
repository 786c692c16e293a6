// Scanning one directory of the tree: names as bytes, decoded to keys, filtered by the exclude policy,
// lstat'ed. File bytes are never read here: change is decided from size, mtime,
// ctime and inode, all from the one lstat.
//
// Policy for what is not a regular file or a directory: symbolic links are never followed (a link could
// publish files from outside the tree, or loop) and are skipped, like sockets, FIFOs and devices. Every skip
// is reported with what the entry is and what to do about it (SKIP_REASONS), as are names that cannot be
// keys. A skipped name is absent as far as the site is concerned.
//
// Dot names follow core/dot-files.ts. The one exception to "never read bytes": an `.htaccess` file is read
// and parsed here (when the caller collects them), never published; only the parsed files are kept, so a
// run holds the site's .htaccess rules and nothing else of the tree.
import { hash } from "node:crypto";
import { constants, type Dirent, lstatSync } from "node:fs";
import { open, readdir } from "node:fs/promises";
import picomatch from "picomatch";
import { type DotFilePolicy, dotFileRule } from "../../core/dot-files.ts";
import { type ParsedHtaccess, parseHtaccess } from "../../core/htaccess.ts";
import { compareUtf8, decodeName, joinKey, keyProblem, MAX_KEY_BYTES } from "../../core/keys.ts";
import { mtimeFromNs } from "../../core/mtime.ts";

/**
 * A path on disk: its bytes, or a string when every byte is ASCII — the same bytes, cheaper to make and to
 * hand to the file system than a Buffer per file (a no-change run makes one per file of the tree).
 */
export type TreePath = Buffer | string;

/** The bytes of a path on disk. */
export const pathBytes = (path: TreePath): Buffer => (typeof path === "string" ? Buffer.from(path, "latin1") : path);

export type ScannedEntry =
  | {
      kind: "file";
      name: string;
      path: TreePath;
      size: number;
      /** Nanoseconds since the epoch, decimal (core/mtime.ts); ctime likewise. */
      mtime: string;
      ctime: string;
      /** Inode number, decimal. */
      ino: string;
    }
  | { kind: "dir"; name: string; path: TreePath }
  | { kind: "unreadable"; name: string; path: TreePath; isDir: boolean; reason: string };

export interface ScanPolicy {
  nameEncoding: string;
  exclude: string[];
  dotFiles: DotFilePolicy;
}

export interface ScanNotes {
  skipped: Array<{ key: string; reason: string }>;
  /** Dot files and folders the dot-file policy leaves out (a folder counts once); absent: not counted. */
  dotFiles?: { leftOut: number; sample: string[] };
  /** The .htaccess files of the walked directories, parsed; absent: not read. */
  htaccess?: { files: ParsedHtaccess[]; unreadable: Array<{ key: string; reason: string }> };
}

/** How many paths of dot files left out a run keeps to show at debug level. */
const DOT_FILE_SAMPLE = 20;

const HTACCESS = ".htaccess";
/** Far above any hand-written .htaccess (and above what the edge could hold): a bigger one is not read. */
const MAX_HTACCESS_BYTES = 1024 * 1024;

export type DirectoryScan = { ok: true; entries: ScannedEntry[] } | { ok: false; missing: boolean; reason: string };

/**
 * A digest of everything change detection reads of a directory's scan: each name, its kind and, for a file,
 * its size, mtime, ctime and inode. Undefined when an entry could not be read. A name holds neither "/" nor
 * NUL, so the text hashed is unambiguous.
 */
export function scanFingerprint(entries: readonly ScannedEntry[]): string | undefined {
  let text = "";
  for (const l of entries) {
    if (l.kind === "unreadable") return undefined;
    text += l.kind === "file" ? `${l.name}\0${l.size}\0${l.mtime}\0${l.ctime}\0${l.ino}/` : `${l.name}\0d/`;
  }
  return hash("sha256", text, "base64");
}

/** Why a name is left out of the site: the dot-file policy ("never", "policy") or an `exclude` glob. */
export type Exclusion = "never" | "policy" | "glob" | undefined;

export function createExcluder(policy: ScanPolicy): (relPath: string, name: string) => Exclusion {
  const globs = policy.exclude.length > 0 ? picomatch(policy.exclude, { dot: true }) : () => false;
  const dots = dotFileRule(policy.dotFiles);
  return (relPath, name) => dots(relPath, name) ?? (globs(relPath) ? "glob" : undefined);
}

const SLASH = Buffer.from("/");
const NON_ASCII = /[^\x00-\x7f]/;
/** lstat calls between two turns of the event loop: a fraction of a millisecond each, in the cache. */
const LSTAT_CHUNK = 256;

/**
 * Lists one directory. `relDir` is the site-relative directory ("" at the root); `keyDir` the same
 * directory as a bucket key (prefix included) so key length limits are checked on the real key.
 * Entries come sorted the way the index sorts them: by UTF-8 bytes of the name, directories as "name/".
 */
export async function scanDirectory(
  dirPath: TreePath,
  relDir: string,
  keyDir: string,
  policy: ScanPolicy,
  excluded: (relPath: string, name: string) => Exclusion,
  notes: ScanNotes,
): Promise<DirectoryScan> {
  // Names as latin1 strings: one character per byte, so no byte is lost, and no Buffer per name.
  let dirents: Dirent[];
  try {
    dirents = await readdir(dirPath, { encoding: "latin1", withFileTypes: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { ok: false, missing: code === "ENOENT" || code === "ENOTDIR", reason: unreadableReason(err) };
  }
  const dirText = typeof dirPath === "string" ? dirPath : asciiText(dirPath);
  /** The entry's path: a string when the whole path is ASCII, else its bytes. */
  const pathOf = (raw: string, ascii: boolean): TreePath =>
    ascii && dirText !== undefined
      ? `${dirText}/${raw}`
      : Buffer.concat([pathBytes(dirPath), SLASH, Buffer.from(raw, "latin1")]);
  /** Names already taken in this directory, each with the raw name (latin1) that took it. */
  const seen = new Map<string, string>();
  const candidates: Array<{ name: string; path: TreePath; type: "file" | "dir" | "other" | "unknown" }> = [];
  const reading: Array<Promise<void>> = [];
  for (const dirent of dirents) {
    const raw = dirent.name;
    // ASCII bytes decode to themselves in every encoding a name may have: UTF-8 is tried first and takes them.
    const ascii = !NON_ASCII.test(raw);
    const name = ascii ? raw : decodeName(Buffer.from(raw, "latin1"), policy.nameEncoding).name;
    const relPath = joinKey(relDir, name);
    if (name === HTACCESS && notes.htaccess && !dirent.isSymbolicLink() && !dirent.isDirectory()) {
      reading.push(readHtaccess(pathBytes(pathOf(raw, ascii)), relDir, policy.nameEncoding, notes));
      continue;
    }
    const exclusion = excluded(relPath, name);
    if (exclusion) {
      if (exclusion !== "glob" && notes.dotFiles) {
        notes.dotFiles.leftOut += 1;
        if (notes.dotFiles.sample.length < DOT_FILE_SAMPLE) notes.dotFiles.sample.push(relPath);
      }
      continue;
    }
    const type = dirent.isFile()
      ? "file"
      : dirent.isDirectory()
        ? "dir"
        : dirent.isSymbolicLink()
          ? "other"
          : dirent.isBlockDevice() || dirent.isCharacterDevice() || dirent.isFIFO() || dirent.isSocket()
            ? "other"
            : "unknown";
    if (type === "other") {
      notes.skipped.push({ key: relPath, reason: specialReason(dirent) });
      continue;
    }
    const problem = type === "dir" ? directoryProblem(joinKey(keyDir, name)) : keyProblem(joinKey(keyDir, name));
    if (problem) {
      notes.skipped.push({ key: relPath, reason: `${problem}: ${RENAME}` });
      continue;
    }
    const earlier = seen.get(name);
    if (earlier !== undefined) {
      const bytes = Buffer.from(earlier, "latin1").toString("hex");
      notes.skipped.push({
        key: relPath,
        reason: `name decodes to the same key as another file (${bytes}); rename one of them`,
      });
      continue;
    }
    seen.set(name, raw);
    candidates.push({ name, path: pathOf(raw, ascii), type });
  }

  const entries: Array<ScannedEntry | undefined> = [];
  for (const [i, c] of candidates.entries()) {
    // Other directories' readdirs, reads and uploads get their turn between chunks of lstat calls.
    if (i > 0 && i % LSTAT_CHUNK === 0) await new Promise((resolve) => setImmediate(resolve));
    entries.push(lstatEntry(c, relDir, keyDir, notes));
  }

  await Promise.all(reading);
  const list = entries.filter((e): e is ScannedEntry => e !== undefined);
  list.sort((a, b) => compareUtf8(sortKey(a), sortKey(b)));
  return { ok: true, entries: list };
}

/**
 * One name of a directory, lstat'ed. Synchronously, on purpose: the inode is almost always in the kernel's
 * cache, where an lstat costs a microsecond and a promise through libuv's thread pool ten times that
 * (100,000 files: 0.9 s against 3.4 s here); a no-change run is nothing but these calls.
 */
function lstatEntry(
  c: { name: string; path: TreePath; type: string },
  relDir: string,
  keyDir: string,
  notes: ScanNotes,
): ScannedEntry | undefined {
  if (c.type === "dir") return { kind: "dir", name: c.name, path: c.path };
  try {
    const st = lstatSync(c.path, { bigint: true });
    if (st.isFile()) {
      const size = Number(st.size);
      const times = { mtime: mtimeFromNs(st.mtimeNs), ctime: mtimeFromNs(st.ctimeNs) };
      return { kind: "file", name: c.name, path: c.path, size, ...times, ino: st.ino.toString() };
    }
    if (st.isDirectory()) {
      const problem = directoryProblem(joinKey(keyDir, c.name));
      if (!problem) return { kind: "dir", name: c.name, path: c.path };
      notes.skipped.push({ key: joinKey(relDir, c.name), reason: `${problem}: ${RENAME}` });
      return undefined;
    }
    notes.skipped.push({ key: joinKey(relDir, c.name), reason: specialReason(st) });
    return undefined;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // Gone between readdir and lstat: simply absent. Anything else: unreadable, never a delete.
    if (code === "ENOENT") return undefined;
    return {
      kind: "unreadable",
      name: c.name,
      path: c.path,
      isDir: false,
      reason: unreadableReason(err),
    };
  }
}

// As a staged file is read: never through a symbolic link swapped in, never blocking on a FIFO.
const READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/**
 * Reads and parses one .htaccess into `notes`. Its text is decoded as UTF-8, else with the names' encoding
 * (an .htaccess is bytes to Apache, mostly ASCII). One that cannot be read is reported, never taken as empty:
 * the run keeps the rules it stored before rather than drop that file's redirects.
 */
async function readHtaccess(path: Buffer, relDir: string, encoding: string, notes: ScanNotes): Promise<void> {
  const key = joinKey(relDir, HTACCESS);
  let text: string;
  try {
    const handle = await open(path, READ_FLAGS);
    try {
      const st = await handle.stat();
      if (!st.isFile()) return; // not a regular file: nothing Apache would read, nothing to publish
      if (st.size > MAX_HTACCESS_BYTES) {
        notes.htaccess!.unreadable.push({ key, reason: `${st.size} bytes: larger than ${MAX_HTACCESS_BYTES}` });
        return;
      }
      text = decodeName(await handle.readFile(), encoding).name;
    } finally {
      await handle.close();
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return; // gone since the listing: this run sees no such file
    if (code === "ELOOP") {
      notes.skipped.push({ key, reason: SKIP_REASONS.link });
      return;
    }
    notes.htaccess!.unreadable.push({ key, reason: `${code ?? "error"}: ${(err as Error).message}` });
    return;
  }
  notes.htaccess!.files.push(parseHtaccess(text, relDir));
}

/** A path's bytes as a string when they are all ASCII; undefined when one is not. */
function asciiText(bytes: Buffer): string | undefined {
  const text = bytes.toString("latin1");
  return NON_ASCII.test(text) ? undefined : text;
}

/**
 * Why a directory cannot be walked, if it cannot: a directory whose key leaves no room under S3's key limit
 * for even a one-letter name holds nothing publishable, and its path would also exceed what the index can
 * key. Skipped and reported, like an unusable file name.
 */
function directoryProblem(dirKey: string): string | undefined {
  const bytes = Buffer.byteLength(dirKey, "utf8");
  if (bytes + 2 <= MAX_KEY_BYTES) return undefined;
  return `directory path is ${bytes} bytes of UTF-8: no file in it fits S3's ${MAX_KEY_BYTES}-byte key limit`;
}

/** What each kind of skipped entry is, and what to do about it: the whole of its warning. */
export const SKIP_REASONS = {
  link:
    "a symbolic link, never followed (it could loop or reach outside the tree): " +
    "put the file or folder itself in the tree, or exclude the link",
  socket: "a socket, not a file: never published; move it out of the tree or exclude it",
  fifo: "a FIFO (named pipe), not a file: never published; move it out of the tree or exclude it",
  device: "a device, not a file: never published; move it out of the tree or exclude it",
} as const;

const RENAME = "never published; rename it or move it higher in the tree";

function specialReason(entry: { isSymbolicLink(): boolean; isSocket(): boolean; isFIFO(): boolean }): string {
  if (entry.isSymbolicLink()) return SKIP_REASONS.link;
  if (entry.isSocket()) return SKIP_REASONS.socket;
  return entry.isFIFO() ? SKIP_REASONS.fifo : SKIP_REASONS.device;
}

/** Why an entry could not be read, and the usual fix when it is a permission. */
function unreadableReason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  const why = `${code ?? "error"}: ${(err as Error).message}`;
  return code === "EACCES" || code === "EPERM" ? `${why}; ${PERMISSION_FIX}` : why;
}

/** What to do about a file or folder the agent may not read. */
export const PERMISSION_FIX = "let the user sitesync runs as read it (chmod or chown), or exclude it";

export function sortKey(entry: ScannedEntry): string {
  return entry.kind === "dir" || (entry.kind === "unreadable" && entry.isDir) ? `${entry.name}/` : entry.name;
}
