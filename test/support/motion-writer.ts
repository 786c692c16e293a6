// A tree kept in motion, as people uploading over FTP keep it while a sync runs: files appended to, rewritten
// in place at the same size (some with their old mtime set back, as FTP clients do), truncated and written
// again, replaced by a rename, created and deleted, and whole directories renamed and deleted. Each write that
// makes a version is done in two parts with a pause between, so the half-written state really exists on disk
// for a while, as during an upload; several uploads at a time stall half way for up to 0.9 s.
//
// It runs as a child process (startMotionWriter), so its writes interleave with the agent's reads for real.
// Every complete version of every file is logged, as a JSON line, once it is complete: the test checks that
// the bucket never held anything else. A half-written state is never logged: it is not a version.
import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import {
  appendFileSync,
  closeSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { seededRandom } from "../../core/seeded-random.ts";

export type MotionOp =
  | "append"
  | "rewrite"
  | "rewrite-old-mtime"
  | "truncate"
  | "uploads"
  | "replace"
  | "create-dir"
  | "rename-dir"
  | "delete-dir"
  | "delete";

/** One line of the log: a complete version of a file (`md5`, `sha256` of its bytes), or its removal. */
export interface MotionRecord {
  /** When the operation completed, ms since the epoch. */
  t: number;
  op: MotionOp;
  path: string;
  md5?: string;
  sha256?: string;
}

export interface MotionWriter {
  /** Stops after the operation in progress; resolves with how many operations of each kind were done. */
  stop(): Promise<Record<string, number>>;
  /** Every record logged so far. */
  records(): MotionRecord[];
}

const SELF = fileURLToPath(import.meta.url);

/** Starts the writer on `root` (its files are the starting versions) and resolves once it is writing. */
export async function startMotionWriter(
  root: string,
  log: string,
  options: { seed: number; intervalMs: number },
): Promise<MotionWriter> {
  writeFileSync(log, "");
  const child: ChildProcess = spawn(
    process.execPath,
    ["--disable-warning=ExperimentalWarning", SELF, root, log, String(options.seed), String(options.intervalMs)],
    { stdio: ["pipe", "pipe", "inherit"] },
  );
  let out = "";
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on("data", (d) => {
      out += d;
      if (out.includes("writing\n")) resolve();
    });
    void exited.then((code) => reject(new Error(`the motion writer exited with ${code} before writing`)));
  });
  return {
    async stop() {
      child.kill("SIGTERM");
      const code = await exited;
      if (code !== 0) throw new Error(`the motion writer exited with ${code}`);
      return JSON.parse(out.slice(out.indexOf("writing\n") + "writing\n".length)) as Record<string, number>;
    },
    records: () =>
      readFileSync(log, "utf8")
        .split("\n")
        .filter((line) => line !== "")
        .map((line) => JSON.parse(line) as MotionRecord),
  };
}

const md5 = (bytes: Buffer) => createHash("md5").update(bytes).digest("hex");
const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

async function writer(root: string, log: string, seed: number, intervalMs: number): Promise<void> {
  const random = seededRandom(seed);
  const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)]!;
  const files = new Map<string, Buffer>();
  for (const entry of readdirSync(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    files.set(relative(root, path).split(sep).join("/"), readFileSync(path));
  }
  const startDirs = new Set([...files.keys()].map((rel) => dirname(rel))).size;
  const counts: Record<string, number> = {};
  let made = 0;
  const letters = "abcdefghij\n";
  const filler = (n: number) =>
    Buffer.from(Array.from({ length: n }, () => letters[Math.floor(random() * letters.length)]).join(""));
  const content = (rel: string, length: number) => {
    const head = Buffer.from(`${rel} version ${made++}\n`);
    return Buffer.concat([head, filler(Math.max(0, length - head.length))]).subarray(0, Math.max(length, 1));
  };
  const record = (op: MotionOp, rel: string, bytes?: Buffer) => {
    const line: MotionRecord = {
      t: Date.now(),
      op,
      path: rel,
      ...(bytes ? { md5: md5(bytes), sha256: sha256(bytes) } : {}),
    };
    appendFileSync(log, `${JSON.stringify(line)}\n`);
  };
  // A pause that blocks this process, not its event loop: nothing of the writer's own can stretch it.
  const pause = (ms = 1 + Math.floor(random() * 20)) =>
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
  /** Writes `parts` at `position` one after another, pausing between them: the file is half written meanwhile. */
  const writeInParts = (rel: string, flags: string, parts: Buffer[], position?: number) => {
    const started = Date.now();
    const fd = openSync(join(root, rel), flags);
    try {
      let at = position;
      for (const [i, part] of parts.entries()) {
        if (i > 0) pause();
        writeSync(fd, part, 0, part.length, at ?? null);
        if (at !== undefined) at += part.length;
      }
    } finally {
      closeSync(fd);
    }
    counts.longestPartialMs = Math.max(counts.longestPartialMs ?? 0, Date.now() - started);
  };
  const halves = (bytes: Buffer) => [bytes.subarray(0, bytes.length >> 1), bytes.subarray(bytes.length >> 1)];
  const dirsOf = () => [...new Set([...files.keys()].map((rel) => dirname(rel)))];
  const size = (rel: string) => files.get(rel)!.length;

  const ops: Array<[MotionOp, number, () => Promise<void>]> = [
    [
      "append",
      25,
      async () => {
        const rel = pick([...files.keys()]);
        const more = content(rel, 20 + Math.floor(random() * 200));
        writeInParts(rel, "a", halves(more));
        files.set(rel, Buffer.concat([files.get(rel)!, more]));
        record("append", rel, files.get(rel));
      },
    ],
    [
      "rewrite",
      15,
      async () => {
        const rel = pick([...files.keys()]);
        const bytes = content(rel, size(rel));
        writeInParts(rel, "r+", halves(bytes), 0);
        files.set(rel, bytes);
        record("rewrite", rel, bytes);
      },
    ],
    [
      "rewrite-old-mtime",
      10,
      async () => {
        const rel = pick([...files.keys()]);
        const before = statSync(join(root, rel));
        const bytes = content(rel, size(rel));
        writeInParts(rel, "r+", halves(bytes), 0);
        utimesSync(join(root, rel), before.atime, before.mtime);
        files.set(rel, bytes);
        record("rewrite-old-mtime", rel, bytes);
      },
    ],
    [
      "truncate",
      20,
      async () => {
        const rel = pick([...files.keys()]);
        const bytes = content(rel, 30 + Math.floor(random() * (random() < 0.05 ? 40_000 : 600)));
        writeInParts(rel, "w", halves(bytes));
        files.set(rel, bytes);
        record("truncate", rel, bytes);
      },
    ],
    [
      "uploads",
      12,
      async () => {
        // Several uploads at once, each stalled half way for up to 0.9 s: half-written files a read can meet.
        const batch = [...new Set(Array.from({ length: 10 }, () => pick([...files.keys()])))];
        const fds = batch.map((rel) => {
          const bytes = content(rel, 30 + Math.floor(random() * 600));
          const fd = openSync(join(root, rel), "w");
          writeSync(fd, bytes, 0, bytes.length >> 1);
          return { rel, bytes, fd };
        });
        pause(300 + Math.floor(random() * 600));
        for (const { rel, bytes, fd } of fds) {
          writeSync(fd, bytes, bytes.length >> 1, bytes.length - (bytes.length >> 1));
          closeSync(fd);
          files.set(rel, bytes);
          record("uploads", rel, bytes);
        }
      },
    ],
    [
      "replace",
      8,
      async () => {
        const rel = pick([...files.keys()]);
        const temp = join(dirname(rel), `.upload-${made}.tmp`);
        const bytes = content(rel, 30 + Math.floor(random() * 600));
        writeInParts(temp, "w", halves(bytes));
        renameSync(join(root, temp), join(root, rel));
        files.set(rel, bytes);
        record("replace", rel, bytes);
      },
    ],
    [
      "create-dir",
      5,
      async () => {
        const dir = `${pick(dirsOf()).split("/")[0]}/new${made}`;
        mkdirSync(join(root, dir));
        for (let i = 0; i < 10; i++) {
          const rel = `${dir}/n${i}.html`;
          const bytes = content(rel, 30 + Math.floor(random() * 400));
          writeInParts(rel, "w", halves(bytes));
          files.set(rel, bytes);
          record("create-dir", rel, bytes);
        }
      },
    ],
    [
      "rename-dir",
      8,
      async () => {
        const dir = pick(dirsOf());
        // Within its top-level folder or into another, as people reorganise a site.
        const to = `${pick(dirsOf()).split("/")[0]}/moved${made++}`;
        renameSync(join(root, dir), join(root, to));
        for (const [rel, bytes] of [...files]) {
          if (dirname(rel) !== dir) continue;
          files.delete(rel);
          const moved = `${to}/${rel.slice(dir.length + 1)}`;
          files.set(moved, bytes);
          record("rename-dir", moved, bytes);
        }
      },
    ],
    [
      "delete-dir",
      3,
      async () => {
        if (dirsOf().length < startDirs * 0.8) return;
        const dir = pick(dirsOf());
        rmSync(join(root, dir), { recursive: true });
        for (const rel of [...files.keys()]) {
          if (dirname(rel) !== dir) continue;
          files.delete(rel);
          record("delete-dir", rel);
        }
      },
    ],
    [
      "delete",
      6,
      async () => {
        const rel = pick([...files.keys()]);
        unlinkSync(join(root, rel));
        files.delete(rel);
        record("delete", rel);
      },
    ],
  ];
  const total = ops.reduce((sum, [, weight]) => sum + weight, 0);
  let stopping = false;
  process.on("SIGTERM", () => {
    stopping = true;
  });
  // Never outlives the test: its parent's end closes this pipe.
  process.stdin.on("end", () => {
    stopping = true;
  });
  process.stdin.resume();
  process.stdout.write("writing\n");
  const weighted = () => {
    let roll = random() * total;
    let chosen = ops[0]!;
    for (const op of ops) {
      chosen = op;
      roll -= op[1];
      if (roll < 0) break;
    }
    return chosen;
  };
  // Every kind of change once first, so that a sync faster than the writer still meets each of them.
  const first = [...ops];
  while (!stopping) {
    const [name, , run] = first.shift() ?? weighted();
    await run();
    counts[name] = (counts[name] ?? 0) + 1;
    await sleep(intervalMs);
  }
  process.stdin.destroy();
  process.stdout.write(JSON.stringify(counts));
}

if (process.argv[1] === SELF) {
  const [root, log, seed, intervalMs] = process.argv.slice(2);
  await writer(root!, log!, Number(seed), Number(intervalMs));
}
