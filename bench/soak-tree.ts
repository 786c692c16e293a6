// The soak's tree between runs: the bench's generated tree (bench/tree.ts), then seeded random edits as people
// make them over FTP — rewrites, deletions, renamed files and directories, new files — and now and then a mass
// touch (new mtime, same bytes: a mirror tool's full re-upload). It keeps the live paths and what changed since
// the last check, so the checks know where to look.
import { existsSync, mkdirSync, renameSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { seededRandom } from "../core/seeded-random.ts";

export interface SoakTree {
  root: string;
  /** Site paths of the tree's files now. */
  live: Set<string>;
  /** Paths written, created or renamed to since the last `takeChanges`. */
  changed: Set<string>;
  /** Paths deleted or renamed away since then (and not back). */
  gone: Set<string>;
}

export interface EditCounts {
  rewritten: number;
  deleted: number;
  renamed: number;
  /** Directories renamed, and the files they held. */
  directoriesRenamed: number;
  filesMoved: number;
  created: number;
  touched: number;
}

/** Shares of the tree each run changes: about 1% of its files, with as many created as removed. */
const SHARES = { rewrite: 0.005, delete: 0.001, rename: 0.001 };
/** Names keep to [a-z0-9./], as the generated tree's do (bench/tree.ts says why). */
const EXTENSIONS = ["html", "css", "js", "json", "txt", "png"];

export function soakTree(root: string, paths: Iterable<string>): SoakTree {
  return { root, live: new Set(paths), changed: new Set(), gone: new Set() };
}

/** What changed since the last call, for a check; the record starts again. */
export function takeChanges(tree: SoakTree): { changed: string[]; gone: string[] } {
  const out = { changed: [...tree.changed].filter((p) => tree.live.has(p)), gone: [...tree.gone] };
  tree.changed.clear();
  tree.gone.clear();
  return out;
}

/**
 * The edits before run `run`, drawn from `random`: rewrites (new bytes and size, one large file above the
 * agent's 4 MiB staging threshold), deletions, renamed files, one renamed leaf directory (every fifth run a
 * level-2 one, with its subdirectories), new files in existing and new directories. With `touch`, every file
 * then gets a new mtime with its bytes unchanged.
 */
export function editTree(tree: SoakTree, random: () => number, run: number, touch: boolean): EditCounts {
  const counts: EditCounts = {
    rewritten: 0,
    deleted: 0,
    renamed: 0,
    directoriesRenamed: 0,
    filesMoved: 0,
    created: 0,
    touched: 0,
  };
  const files = [...tree.live];
  const pick = () => files[Math.floor(random() * files.length)]!;
  const scaled = (share: number) => Math.max(1, Math.round(files.length * share));
  const content = contentMaker(random, run);
  const write = (rel: string, bytes: Buffer) => {
    mkdirSync(dirname(join(tree.root, rel)), { recursive: true });
    writeFileSync(join(tree.root, rel), bytes);
    tree.live.add(rel);
    tree.changed.add(rel);
    tree.gone.delete(rel);
  };
  const remove = (rel: string) => {
    tree.live.delete(rel);
    tree.changed.delete(rel);
    tree.gone.add(rel);
  };

  for (let i = 0; i < scaled(SHARES.rewrite); i++) {
    const rel = pick();
    if (!tree.live.has(rel)) continue;
    write(rel, content(i === 0 ? 4 * 1024 * 1024 + Math.floor(random() * 2 * 1024 * 1024) : smallSize(random)));
    counts.rewritten++;
  }
  for (let i = 0; i < scaled(SHARES.delete); i++) {
    const rel = pick();
    if (!tree.live.has(rel)) continue;
    rmSync(join(tree.root, rel));
    remove(rel);
    counts.deleted++;
  }
  // A renamed file keeps its mtime and inode: only its path is new.
  for (let i = 0; i < scaled(SHARES.rename); i++) {
    const rel = pick();
    if (!tree.live.has(rel)) continue;
    const to = `${dirname(pick())}/r${run}n${i}.${extension(rel)}`;
    if (tree.live.has(to)) continue;
    renameSync(join(tree.root, rel), join(tree.root, to));
    remove(rel);
    tree.live.add(to);
    tree.changed.add(to);
    tree.gone.delete(to);
    counts.renamed++;
  }
  const moved = renameDirectory(tree, pick(), run, run % 5 === 0);
  if (moved > 0) {
    counts.directoriesRenamed++;
    counts.filesMoved += moved;
  }
  const newDir = `${dirname(pick())}/n${run}`;
  // As many new files as were deleted: the tree keeps its size, so its agent's memory can be compared.
  for (let i = 0; i < counts.deleted; i++) {
    const dir = i % 2 === 0 ? newDir : dirname(pick());
    write(`${dir}/c${run}n${i}.${EXTENSIONS[i % EXTENSIONS.length]}`, content(smallSize(random)));
    counts.created++;
  }
  if (touch) {
    const t = Math.floor(Date.now() / 1000) + run;
    for (const rel of tree.live) utimesSync(join(tree.root, rel), t, t);
    counts.touched = tree.live.size;
  }
  return counts;
}

/**
 * Renames the directory of `file` (or its parent, for a level-2 rename) to a new name beside it; never a
 * top-level folder, which the delete guard would rightly refuse to empty. Returns how many files moved.
 */
function renameDirectory(tree: SoakTree, file: string, run: number, upper: boolean): number {
  let dir = dirname(file);
  if (upper && dir.split("/").length > 2) dir = dirname(dir);
  if (!dir.includes("/")) return 0;
  const to = `${dir}r${run}`;
  if (existsSync(join(tree.root, to))) return 0;
  renameSync(join(tree.root, dir), join(tree.root, to));
  let moved = 0;
  for (const rel of [...tree.live]) {
    if (!rel.startsWith(`${dir}/`)) continue;
    const next = to + rel.slice(dir.length);
    tree.live.delete(rel);
    tree.changed.delete(rel);
    tree.gone.add(rel);
    tree.live.add(next);
    tree.changed.add(next);
    tree.gone.delete(next);
    moved++;
  }
  return moved;
}

const extension = (rel: string): string => rel.slice(rel.lastIndexOf(".") + 1);

/** 200 B–8 KB, log-uniform, as most of the generated tree. */
const smallSize = (random: () => number): number => Math.floor(200 * (8192 / 200) ** random());

/** New contents for one run: a header naming it (no two alike), then bytes from a seeded pool. */
function contentMaker(random: () => number, run: number): (size: number) => Buffer {
  const pool = Buffer.allocUnsafe(64 * 1024);
  const bytes = seededRandom(Math.floor(random() * 2 ** 31));
  for (let i = 0; i < pool.length; i += 4) pool.writeUInt32LE(Math.floor(bytes() * 4294967296), i);
  let n = 0;
  return (size) => {
    const out = Buffer.allocUnsafe(size);
    const start = Math.floor(random() * pool.length);
    for (let filled = 0; filled < size; ) {
      const from = filled === 0 ? start : 0;
      filled += pool.copy(out, filled, from, Math.min(pool.length, from + size - filled));
    }
    const tag = Buffer.from(`soak run ${run} write ${n++} ${random()}\n`);
    tag.copy(out, 0, 0, Math.min(tag.length, size));
    return out;
  };
}
