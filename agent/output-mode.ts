// Who reads each stream decides what goes on it: a terminal gets text for a person, anything else JSON
// lines, and no stream ever carries both. The rules are one pure function over a decision table, so the
// combinations are tested as data (test/unit/output-mode.test.ts).
import { fstatSync } from "node:fs";
import type { Level } from "../core/logger.ts";

export interface OutputFacts {
  stdoutIsTTY: boolean;
  stderrIsTTY: boolean;
  /** stdout and stderr are one file, pipe or terminal (`2>&1`, cron mailing both). */
  sharedStream: boolean;
  json: boolean;
  quiet: boolean;
  verbose: boolean;
}

export interface OutputMode {
  /** The command's result on stdout: the summary for a person, one JSON object, or nothing. */
  result: "human" | "json" | "none";
  /** Log lines on stderr. */
  logs: "human" | "json";
  level: Level;
  /** A live line redrawn on a terminal, periodic `{"msg":"progress"}` lines, or none. */
  progress: "live" | "json" | "off";
}

/**
 * The decision table ("-": either). stdout and stderr are shared when they are one file, pipe or terminal.
 *
 * | --json | stdout TTY | shared | stderr TTY | result | logs  | progress |
 * |--------|------------|--------|------------|--------|-------|----------|
 * | no     | -          | no     | yes        | human  | human | live     |
 * | no     | -          | no     | no         | human  | json  | json     |
 * | no     | yes        | yes    | yes        | human  | human | live     |
 * | no     | no         | yes    | no         | json   | json  | json     |
 * | yes    | -          | no     | yes        | json   | human | live     |
 * | yes    | -          | no     | no         | json   | json  | json     |
 * | yes    | -          | yes    | -          | json   | json  | json     |
 *
 * --quiet: a human result is not printed (a JSON one still is), no progress, level warn; --verbose: level
 * debug. An explicit --log-level wins over both. A stream that carries JSON carries only JSON (`2>&1` into
 * cron's mail or a log file); a terminal that carries no JSON gets text; stdout in a pipe of its own keeps
 * the human summary (what `sitesync sync | mail` and the tests read) while stderr beside it logs JSON lines.
 */
export function outputMode(f: OutputFacts): OutputMode {
  const jsonResult = f.json || (f.sharedStream && !f.stdoutIsTTY);
  const logs = f.stderrIsTTY && !(f.sharedStream && jsonResult) ? "human" : "json";
  return {
    result: jsonResult ? "json" : f.quiet ? "none" : "human",
    logs,
    level: f.verbose ? "debug" : f.quiet ? "warn" : "info",
    progress: f.quiet ? "off" : logs === "human" ? "live" : "json",
  };
}

/** Whether this process's stdout and stderr are the same open file (the same device and inode). */
export function sharedStdio(): boolean {
  try {
    const out = fstatSync(1);
    const err = fstatSync(2);
    return out.dev === err.dev && out.ino === err.ino;
  } catch {
    return false;
  }
}
