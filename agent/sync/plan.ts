// The plan of a run: what the diff decided, one operation per line in a JSONL file under the state
// directory. Writing it first and executing it second keeps memory bounded on sites of millions of files,
// lets the mass-deletion guard see the whole picture before anything is written, and is what --dry-run
// prints.
import { createReadStream, createWriteStream, type WriteStream } from "node:fs";
import { once } from "node:events";
import { createInterface } from "node:readline";
import type { Compare } from "../../core/change-detection.ts";
import type { Desired, Published } from "../../core/index-record.ts";

export type PlanOp =
  | {
      op: "put";
      key: string;
      /** File path bytes, base64: names need not be UTF-8. */
      path: string;
      size: number;
      mtime: string;
      ctime: string;
      ino: string;
      reason: string;
      published?: Published;
      /** The version these bytes may repeat: equal digests record only the new mtime, ctime and inode. */
      compare?: Compare;
    }
  /** Index only: the ctime and inode of a file whose record has none (adopted, or an older agent's). */
  | { op: "record"; key: string; version: string; mtime: string; ctime: string; ino: string }
  | { op: "delete"; key: string; reason: string; published?: Published }
  /** unsent: its run died before sending it; overdue: sent long ago and still not applied. */
  | { op: "resend"; key: string; desired: Desired; reason: "unsent" | "overdue" }
  | { op: "mkdir"; dir: string; name: string }
  | { op: "rmdir"; dir: string; name: string };

export interface PlanCounts {
  put: number;
  putBytes: number;
  /** Index-only records of ctime and inode. */
  record: number;
  delete: number;
  resend: number;
  mkdir: number;
  rmdir: number;
  byReason: Record<string, number>;
}

export function emptyCounts(): PlanCounts {
  return { put: 0, putBytes: 0, record: 0, delete: 0, resend: 0, mkdir: 0, rmdir: 0, byReason: {} };
}

export class PlanWriter {
  readonly path: string;
  readonly counts: PlanCounts = emptyCounts();
  readonly #stream: WriteStream;
  #chain: Promise<void> = Promise.resolve();
  #error: Error | undefined;

  constructor(path: string) {
    this.path = path;
    this.#stream = createWriteStream(path, { encoding: "utf8" });
    // A write error (a full disk) must fail the run through write() or close(), never as an uncaught
    // 'error' event that kills the process mid-run.
    this.#stream.on("error", (err) => {
      this.#error ??= err;
    });
  }

  write(op: PlanOp): Promise<void> {
    const c = this.counts;
    c[op.op] += 1;
    if (op.op === "put") c.putBytes += op.size;
    const reason =
      op.op === "put" || op.op === "delete" || op.op === "resend"
        ? `${op.op}:${op.reason}`
        : op.op === "record"
          ? "record:inode-unknown"
          : op.op;
    c.byReason[reason] = (c.byReason[reason] ?? 0) + 1;
    const line = `${JSON.stringify(op)}\n`;
    // Writers are concurrent directory workers; one chain keeps back-pressure honest.
    this.#chain = this.#chain.then(async () => {
      if (this.#error) throw this.#error;
      if (!this.#stream.write(line)) await once(this.#stream, "drain");
    });
    return this.#chain;
  }

  async close(): Promise<void> {
    await this.#chain;
    if (this.#error) throw this.#error;
    this.#stream.end();
    await once(this.#stream, "finish");
  }
}

export async function* readPlan(path: string): AsyncGenerator<PlanOp> {
  const lines = createInterface({ input: createReadStream(path, { encoding: "utf8" }), crlfDelay: Infinity });
  for await (const line of lines) {
    if (line !== "") yield JSON.parse(line) as PlanOp;
  }
}
