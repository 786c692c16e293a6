// The checkpoint of an adoption in progress: a JSON-lines file in the state directory. The first line says
// which adoption it is; then one line per directory finished (listed, compared, its index items written),
// holding what resuming needs — the subdirectories to visit, the counts, the orphan keys found. A line is
// appended only after the directory's index writes succeeded, so an interrupted run (Ctrl-C, a crash, a
// reboot) loses at most the directories in flight; `--resume` redoes only those, under the same run id.
import { appendFileSync, existsSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PermanentError } from "../../core/errors.ts";

export interface CheckpointHeader {
  checkpoint: 1;
  runId: string;
  bucket: string;
  prefix: string;
  root: string;
  started: string;
}

/** A directory to visit: its site-relative path and, when it exists in the tree, its path bytes (base64). */
export interface JobRecord {
  relDir: string;
  path?: string;
}

export interface DirectoryRecord<C> {
  dir: string;
  children: JobRecord[];
  counts: C;
  orphans: string[];
  /** Directory markers a deletion of the orphans writes, so the next sync walks to their tombstones. */
  markers: Array<{ dir: string; name: string }>;
}

export class CheckpointMismatchError extends PermanentError {
  override readonly name = "CheckpointMismatchError";
}

export const checkpointPath = (stateDir: string): string => join(stateDir, "adopt-checkpoint.jsonl");

export class Checkpoint<C> {
  readonly path: string;
  readonly header: CheckpointHeader;

  private constructor(path: string, header: CheckpointHeader) {
    this.path = path;
    this.header = header;
  }

  /** Starts a new checkpoint, replacing any earlier one. */
  static create<C>(stateDir: string, header: CheckpointHeader): Checkpoint<C> {
    const path = checkpointPath(stateDir);
    writeFileSync(path, `${JSON.stringify(header)}\n`);
    return new Checkpoint<C>(path, header);
  }

  /**
   * Opens an earlier checkpoint to continue it; undefined if there is none. A last line cut short by a
   * crash is dropped from the file, so the lines appended next start on a line of their own.
   */
  static open<C>(
    stateDir: string,
    expected: Omit<CheckpointHeader, "checkpoint" | "runId" | "started">,
  ): { checkpoint: Checkpoint<C>; done: Array<DirectoryRecord<C>> } | undefined {
    const path = checkpointPath(stateDir);
    if (!existsSync(path)) return undefined;
    const text = readFileSync(path, "utf8");
    const end = text.lastIndexOf("\n") + 1;
    if (end < text.length) truncateSync(path, Buffer.byteLength(text.slice(0, end), "utf8"));
    const lines = text
      .slice(0, end)
      .split("\n")
      .filter((line) => line !== "");
    const header = JSON.parse(lines[0] ?? "null") as CheckpointHeader | null;
    if (header?.checkpoint !== 1)
      throw new CheckpointMismatchError(`${path} is not an adoption checkpoint; remove it to start over`);
    for (const field of ["bucket", "prefix", "root"] as const) {
      if (header[field] !== expected[field]) {
        throw new CheckpointMismatchError(
          `${path} belongs to an adoption of ${field} "${header[field]}", not "${expected[field]}"; ` +
            "run without --resume to start over",
        );
      }
    }
    const done = lines.slice(1).map((line) => JSON.parse(line) as DirectoryRecord<C>);
    return { checkpoint: new Checkpoint<C>(path, header), done };
  }

  static exists(stateDir: string): boolean {
    return existsSync(checkpointPath(stateDir));
  }

  append(record: DirectoryRecord<C>): void {
    // One write of one whole line: a crash leaves either the line or a cut-off tail that open() drops.
    appendFileSync(this.path, `${JSON.stringify(record)}\n`);
  }

  /** Every finished directory, read back from the file (the orphan lists are not kept in memory). */
  *records(): Generator<DirectoryRecord<C>> {
    const lines = readFileSync(this.path, "utf8").split("\n");
    for (const line of lines.slice(1)) {
      if (line !== "") yield JSON.parse(line) as DirectoryRecord<C>;
    }
  }

  remove(): void {
    rmSync(this.path, { force: true });
  }
}
