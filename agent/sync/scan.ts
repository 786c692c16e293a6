// Scanning one directory of the tree: names as bytes, decoded to keys, filtered by the exclude policy,
// lstat'ed with bounded concurrency. File bytes are never read here: change is decided from size, mtime,
// ctime and inode, all from the one lstat.
//
// Policy for what is not a regular file or a directory: symbolic links are never followed (a link could
// publish files from outside the tree, or loop) and are skipped, like sockets, FIFOs and devices; the
// skip is counted and logged at debug level. A skipped name is absent as far as the site is concerned.
import type { Dirent } from "node:fs";
import { lstat, readdir } from "node:fs/promises";
import picomatch from "picomatch";
import { compareUtf8, decodeName, joinKey, keyProblem, MAX_KEY_BYTES } from "../../core/keys.ts";
import { mapLimit } from "../../core/concurrency.ts";
import { mtimeFromNs } from "../../core/mtime.ts";

export type ScannedEntry =
  | {
      kind: "file";
      name: string;
      path: Buffer;
      size: number;
      /** Nanoseconds since the epoch, decimal (core/mtime.ts); ctime likewise. */
      mtime: string;
      ctime: string;
      /** Inode number, decimal. */
      ino: string;
    }
  | { kind: "dir"; name: string; path: Buffer }
  | { kind: "unreadable"; name: string; path: Buffer; isDir: boolean; reason: string };

export interface ScanPolicy {
  nameEncoding: string;
  exclude: string[];
  dotFiles: "include" | "exclude";
  /** lstat calls in flight within one directory. */
  fileConcurrency: number;
}

export interface ScanNotes {
  skipped: Array<{ key: string; reason: string }>;
}

export type DirectoryScan = { ok: true; entries: ScannedEntry[] } | { ok: false; missing: boolean; reason: string };

export function createExcluder(policy: ScanPolicy): (relPath: string, name: string) => boolean {
  const globs = policy.exclude.length > 0 ? picomatch(policy.exclude, { dot: true }) : () => false;
  return (relPath, name) => (policy.dotFiles === "exclude" && name.startsWith(".")) || globs(relPath);
}

const SLASH = Buffer.from("/");

/**
 * Lists one directory. `relDir` is the site-relative directory ("" at the root); `keyDir` the same
 * directory as a bucket key (prefix included) so key length limits are checked on the real key.
 * Entries come sorted the way the index sorts them: by UTF-8 bytes of the name, directories as "name/".
 */
export async function scanDirectory(
  dirPath: Buffer,
  relDir: string,
  keyDir: string,
  policy: ScanPolicy,
  excluded: (relPath: string, name: string) => boolean,
  notes: ScanNotes,
): Promise<DirectoryScan> {
  let dirents: Dirent<Buffer>[];
  try {
    dirents = await readdir(dirPath, { encoding: "buffer", withFileTypes: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return {
      ok: false,
      missing: code === "ENOENT" || code === "ENOTDIR",
      reason: `${code ?? "error"}: ${(err as Error).message}`,
    };
  }
  const seen = new Map<string, string>();
  const candidates: Array<{ name: string; path: Buffer; type: "file" | "dir" | "other" | "unknown" }> = [];
  for (const dirent of dirents) {
    const nameBytes = dirent.name as unknown as Buffer;
    const { name } = decodeName(nameBytes, policy.nameEncoding);
    const relPath = joinKey(relDir, name);
    if (excluded(relPath, name)) continue;
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
      notes.skipped.push({
        key: relPath,
        reason: dirent.isSymbolicLink() ? "symbolic link (never followed)" : "not a regular file",
      });
      continue;
    }
    const problem = type === "dir" ? directoryProblem(joinKey(keyDir, name)) : keyProblem(joinKey(keyDir, name));
    if (problem) {
      notes.skipped.push({ key: relPath, reason: problem });
      continue;
    }
    const earlier = seen.get(name);
    if (earlier !== undefined) {
      notes.skipped.push({
        key: relPath,
        reason: `name decodes to the same key as another file (${earlier}); rename one of them`,
      });
      continue;
    }
    seen.set(name, nameBytes.toString("hex"));
    candidates.push({ name, path: Buffer.concat([dirPath, SLASH, nameBytes]), type });
  }

  const entries = await mapLimit(candidates, policy.fileConcurrency, async (c): Promise<ScannedEntry | undefined> => {
    if (c.type === "dir") return { kind: "dir", name: c.name, path: c.path };
    try {
      const st = await lstat(c.path, { bigint: true });
      if (st.isFile()) {
        const size = Number(st.size);
        const times = { mtime: mtimeFromNs(st.mtimeNs), ctime: mtimeFromNs(st.ctimeNs) };
        return { kind: "file", name: c.name, path: c.path, size, ...times, ino: st.ino.toString() };
      }
      if (st.isDirectory()) {
        const problem = directoryProblem(joinKey(keyDir, c.name));
        if (!problem) return { kind: "dir", name: c.name, path: c.path };
        notes.skipped.push({ key: joinKey(relDir, c.name), reason: problem });
        return undefined;
      }
      notes.skipped.push({ key: joinKey(relDir, c.name), reason: "not a regular file" });
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
        reason: `${code}: ${(err as Error).message}`,
      };
    }
  });
  const list = entries.filter((e): e is ScannedEntry => e !== undefined);
  list.sort((a, b) => compareUtf8(sortKey(a), sortKey(b)));
  return { ok: true, entries: list };
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

export function sortKey(entry: ScannedEntry): string {
  return entry.kind === "dir" || (entry.kind === "unreadable" && entry.isDir) ? `${entry.name}/` : entry.name;
}
