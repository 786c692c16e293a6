// The benchmark tree: a deterministic site of N files in about 1,000 directories nested 2–3 levels deep,
// mostly small files (200 B–8 KB, log-uniform) and a few larger ones. It is generated once under .bench/
// and reused while its spec matches, because writing 100,000 files costs more than some of the runs it feeds.
//
// Names use only [a-z0-9./]: fauxqs sorts listings with localeCompare but continues them by code-unit order,
// so names with upper case, "-" or "_" could make a peer's listing skip or repeat keys — a server bug, not
// something the peers should be charged for.
import { existsSync, mkdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { seededRandom } from "../core/seeded-random.ts";

export interface TreeInfo {
  root: string;
  files: number;
  bytes: number;
  directories: number;
  /** Site-relative paths in generation order; the 1% edit takes one in each 100. */
  paths: string[];
}

/** Bump when the layout or contents change, so an old tree on disk is regenerated rather than reused. */
const SPEC_VERSION = 1;
/** A fixed past mtime for every generated file, so size+mtime comparisons see the same tree on every run. */
const BASE_MTIME_S = Date.UTC(2025, 0, 1) / 1000;
const EXTENSIONS = ["html", "html", "html", "css", "js", "json", "svg", "txt", "png", "jpg"];

/**
 * 10 sections × 10 areas (100 directories at level 2) × 9 topics (900 at level 3): 1,010 directories, and
 * files go into the 1,000 leaves and areas. Scaled down for small trees so directories keep ~100 files.
 */
function directories(files: number): string[] {
  const sections = files >= 50_000 ? 10 : Math.max(1, Math.round(files / 10_000));
  const dirs: string[] = [];
  for (let s = 0; s < sections; s++) {
    for (let a = 0; a < 10; a++) {
      dirs.push(`s${s}/a${a}`);
      for (let t = 0; t < 9; t++) dirs.push(`s${s}/a${a}/t${t}`);
    }
  }
  return dirs;
}

function sizeFor(i: number, rand: () => number): number {
  // A few larger files: one in 2,000 between 256 KB and 2 MB, and two over the agent's 4 MiB staging threshold.
  if (i === 777 || i === 50_777) return 5 * 1024 * 1024 + 4321;
  if (i % 2000 === 1999) return 256 * 1024 + Math.floor(rand() * (2 * 1024 * 1024 - 256 * 1024));
  return Math.floor(200 * (8192 / 200) ** rand());
}

/** Returns the tree for `files`, generating it under `benchDir` unless an identical one is already there. */
export function ensureTree(benchDir: string, files: number, log: (line: string) => void): TreeInfo {
  const root = join(benchDir, `tree-${files}`);
  const markerPath = join(benchDir, `tree-${files}.json`);
  const plan = planTree(root, files);
  if (existsSync(markerPath)) {
    try {
      const marker = JSON.parse(readFileSync(markerPath, "utf8")) as { spec?: number; files?: number; bytes?: number };
      if (marker.spec === SPEC_VERSION && marker.files === files && marker.bytes === plan.bytes) {
        log(`reusing the generated tree ${root}`);
        return plan;
      }
    } catch {
      // unreadable marker: regenerate
    }
  }
  log(`generating ${files} files under ${root} (once; later runs reuse it)`);
  const started = Date.now();
  rmSync(markerPath, { force: true });
  rmSync(root, { recursive: true, force: true });
  const pool = contentPool();
  const rand = seededRandom(42);
  const made = new Set<string>();
  plan.paths.forEach((rel, i) => {
    const size = sizeFor(i, rand);
    const dir = rel.slice(0, rel.lastIndexOf("/"));
    if (!made.has(dir)) {
      mkdirSync(join(root, dir), { recursive: true });
      made.add(dir);
    }
    const path = join(root, rel);
    writeFileSync(path, contentFor(pool, i, size));
    const t = BASE_MTIME_S + i;
    utimesSync(path, t, t);
  });
  writeFileSync(
    markerPath,
    `${JSON.stringify({ spec: SPEC_VERSION, files, bytes: plan.bytes, generated: new Date().toISOString() })}\n`,
  );
  log(`generated in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return plan;
}

/** The tree's paths and total size, computed without touching the disk (the same PRNG sequence as generation). */
function planTree(root: string, files: number): TreeInfo {
  const dirs = directories(files);
  const rand = seededRandom(42);
  const paths: string[] = [];
  let bytes = 0;
  for (let i = 0; i < files; i++) {
    const dir = dirs[i % dirs.length]!;
    const ext = EXTENSIONS[i % EXTENSIONS.length]!;
    paths.push(`${dir}/f${String(i).padStart(6, "0")}.${ext}`);
    bytes += sizeFor(i, rand);
  }
  const allDirs = new Set<string>();
  for (const dir of dirs.slice(0, Math.min(files, dirs.length))) {
    for (let cut = dir.indexOf("/"); cut !== -1; cut = dir.indexOf("/", cut + 1)) allDirs.add(dir.slice(0, cut));
    allDirs.add(dir);
  }
  return { root, files, bytes, directories: allDirs.size, paths };
}

/** 16 MiB of deterministic bytes that file contents are sliced from (fast, and no two files alike). */
function contentPool(): Buffer {
  const pool = Buffer.allocUnsafe(16 * 1024 * 1024);
  const rand = seededRandom(7);
  for (let i = 0; i < pool.length; i += 4) pool.writeUInt32LE(Math.floor(rand() * 4294967296), i);
  return pool;
}

function contentFor(pool: Buffer, i: number, size: number): Buffer {
  const out = Buffer.allocUnsafe(size);
  const start = (i * 7919) % (pool.length - 1);
  for (let filled = 0; filled < size; ) {
    const from = filled === 0 ? start : 0;
    filled += pool.copy(out, filled, from, Math.min(pool.length, from + size - filled));
  }
  const tag = Buffer.from(`file ${i}\n`);
  tag.copy(out, 0, 0, Math.min(tag.length, size));
  return out;
}

/**
 * Edits one file in 100 in place, as an FTP upload of a new version would: same size, different bytes, mtime
 * now. Same size on purpose: the tools must notice the mtime, not just a size difference. Returns the count.
 */
export function editOnePercent(tree: TreeInfo, round: number): number {
  const stamp = Buffer.from(`edit ${round} ${Date.now()}\n`);
  const now = Date.now() / 1000;
  let edited = 0;
  // One file in each run of 100, at a seeded random position: the same files in every round and every run,
  // spread over most directories (every 100th file would land in the few directories those files share).
  const rand = seededRandom(4242);
  for (let j = 0; j * 100 < tree.paths.length; j++) {
    const i = Math.min(tree.paths.length - 1, j * 100 + Math.floor(rand() * 100));
    const path = join(tree.root, tree.paths[i]!);
    const bytes = readFileSync(path);
    stamp.copy(bytes, 0, 0, Math.min(stamp.length, bytes.length));
    writeFileSync(path, bytes);
    utimesSync(path, now, now);
    edited++;
  }
  return edited;
}

/**
 * Touches every file as an FTP mirror tool's re-upload does: same bytes, a new mtime (now, one second
 * further each round). Returns the count.
 */
export function touchAll(tree: TreeInfo, round: number): number {
  const t = Date.now() / 1000 + round;
  for (const rel of tree.paths) utimesSync(join(tree.root, rel), t, t);
  return tree.paths.length;
}
