// The output rules (agent/output-mode.ts): one row per line of its decision table, then the promise behind
// it over every combination: no stream carries both text and JSON.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { type OutputFacts, type OutputMode, outputMode } from "../../agent/output-mode.ts";

const plain = { json: false, quiet: false, verbose: false };
const tty = (stdout: boolean, stderr: boolean, shared: boolean) => ({
  stdoutIsTTY: stdout,
  stderrIsTTY: stderr,
  sharedStream: shared,
});

const rows: Array<{ why: string; facts: OutputFacts; mode: OutputMode }> = [
  {
    why: "a terminal: text, live progress",
    facts: { ...tty(true, true, true), ...plain },
    mode: { result: "human", logs: "human", level: "info", progress: "live" },
  },
  {
    why: "stdout piped (| less), stderr a terminal: summary text in the pipe, live progress on the terminal",
    facts: { ...tty(false, true, false), ...plain },
    mode: { result: "human", logs: "human", level: "info", progress: "live" },
  },
  {
    why: "stdout a terminal, stderr to a file: text on the terminal, JSON lines in the file",
    facts: { ...tty(true, false, false), ...plain },
    mode: { result: "human", logs: "json", level: "info", progress: "json" },
  },
  {
    why: "two pipes of their own (a test, a supervisor): summary text on stdout, JSON lines on stderr",
    facts: { ...tty(false, false, false), ...plain },
    mode: { result: "human", logs: "json", level: "info", progress: "json" },
  },
  {
    why: "one file or pipe for both (cron, 2>&1): all JSON lines",
    facts: { ...tty(false, false, true), ...plain },
    mode: { result: "json", logs: "json", level: "info", progress: "json" },
  },
  {
    why: "--json on a terminal: all JSON",
    facts: { ...tty(true, true, true), ...plain, json: true },
    mode: { result: "json", logs: "json", level: "info", progress: "json" },
  },
  {
    why: "--json into a pipe, stderr a terminal: JSON result, live progress for the person watching",
    facts: { ...tty(false, true, false), ...plain, json: true },
    mode: { result: "json", logs: "human", level: "info", progress: "live" },
  },
  {
    why: "--json, two pipes: JSON on both",
    facts: { ...tty(false, false, false), ...plain, json: true },
    mode: { result: "json", logs: "json", level: "info", progress: "json" },
  },
  {
    why: "--quiet on a terminal: no summary, no progress, warnings and errors",
    facts: { ...tty(true, true, true), ...plain, quiet: true },
    mode: { result: "none", logs: "human", level: "warn", progress: "off" },
  },
  {
    why: "--quiet in cron (2>&1): the JSON result stays, no progress lines",
    facts: { ...tty(false, false, true), ...plain, quiet: true },
    mode: { result: "json", logs: "json", level: "warn", progress: "off" },
  },
  {
    why: "--json --quiet: the asked-for result, warnings only",
    facts: { ...tty(true, true, true), ...plain, json: true, quiet: true },
    mode: { result: "json", logs: "json", level: "warn", progress: "off" },
  },
  {
    why: "--verbose on a terminal: debug lines, live progress",
    facts: { ...tty(true, true, true), ...plain, verbose: true },
    mode: { result: "human", logs: "human", level: "debug", progress: "live" },
  },
  {
    why: "--verbose off a terminal: debug JSON lines",
    facts: { ...tty(false, false, false), ...plain, verbose: true },
    mode: { result: "human", logs: "json", level: "debug", progress: "json" },
  },
];

describe("output mode", () => {
  for (const row of rows) {
    test(row.why, () => assert.deepEqual(outputMode(row.facts), row.mode));
  }

  test("no stream ever carries both text and JSON, and a non-terminal never gets a live line", () => {
    const bools = [false, true];
    for (const stdoutIsTTY of bools)
      for (const stderrIsTTY of bools)
        for (const sharedStream of bools)
          for (const json of bools)
            for (const quiet of bools)
              for (const verbose of bools) {
                // One stream is one file: a terminal on one side is a terminal on the other.
                if (sharedStream && stdoutIsTTY !== stderrIsTTY) continue;
                const facts = { stdoutIsTTY, stderrIsTTY, sharedStream, json, quiet, verbose };
                const mode = outputMode(facts);
                const what = JSON.stringify(facts);
                if (sharedStream && mode.result !== "none") {
                  assert.equal(mode.result === "json", mode.logs === "json", `mixed stream: ${what}`);
                }
                if (!stderrIsTTY) assert.notEqual(mode.progress, "live", what);
                if (mode.progress === "live") assert.equal(mode.logs, "human", what);
                if (mode.progress === "json") assert.equal(mode.logs, "json", what);
                if (json) assert.equal(mode.result, "json", what);
              }
  });
});
