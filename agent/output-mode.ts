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
  /** `--json`: the result as one JSON object, wherever stdout goes. */
  json: boolean;
  /** `--text`: the result as text for a person, wherever stdout goes (`sitesync status --text | mail`). */
  text: boolean;
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
 * | flag   | stdout TTY | shared | stderr TTY | result | logs  | progress |
 * |--------|------------|--------|------------|--------|-------|----------|
 * | none   | yes        | -      | yes        | human  | human | live     |
 * | none   | yes        | no     | no         | human  | json  | json     |
 * | none   | no         | no     | yes        | json   | human | live     |
 * | none   | no         | -      | no         | json   | json  | json     |
 * | --json | -          | no     | yes        | json   | human | live     |
 * | --json | -          | no     | no         | json   | json  | json     |
 * | --json | -          | yes    | -          | json   | json  | json     |
 * | --text | -          | no     | yes        | human  | human | live     |
 * | --text | -          | no     | no         | human  | json  | json     |
 * | --text | -          | yes    | -          | human  | human | off (live on a terminal) |
 *
 * A terminal gets text, anything else JSON lines, each stream judged on its own; a stream shared by both
 * (`2>&1` into cron's mail or a log file) carries the result's format only, so it never holds text and JSON
 * together. --quiet: a human result is not printed (a JSON one still is), no progress, level warn;
 * --verbose: level debug. An explicit --log-level wins over both.
 */
export function outputMode(f: OutputFacts): OutputMode {
  const humanResult = f.text || (!f.json && f.stdoutIsTTY);
  const logs = f.sharedStream ? (humanResult ? "human" : "json") : f.stderrIsTTY ? "human" : "json";
  const progress = logs === "json" ? "json" : f.stderrIsTTY ? "live" : "off";
  return {
    result: humanResult ? (f.quiet ? "none" : "human") : "json",
    logs,
    level: f.verbose ? "debug" : f.quiet ? "warn" : "info",
    progress: f.quiet ? "off" : progress,
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
