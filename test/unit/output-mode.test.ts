// The output rules (agent/output-mode.ts): one row per line of its decision table, then the promise behind
// it over every combination: no stream carries both text and JSON.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { type OutputFacts, type OutputMode, outputMode } from "../../agent/output-mode.ts";

const plain = { json: false, text: false, quiet: false, verbose: false };
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
    why: "stdout a terminal, stderr to a file: text on the terminal, JSON lines in the file",
    facts: { ...tty(true, false, false), ...plain },
    mode: { result: "human", logs: "json", level: "info", progress: "json" },
  },
  {
    why: "stdout piped (| jq), stderr a terminal: the JSON result in the pipe, live progress on the terminal",
    facts: { ...tty(false, true, false), ...plain },
    mode: { result: "json", logs: "human", level: "info", progress: "live" },
  },
  {
    why: "two pipes of their own (a supervisor): JSON on both",
    facts: { ...tty(false, false, false), ...plain },
    mode: { result: "json", logs: "json", level: "info", progress: "json" },
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
    why: "--text into a pipe (| mail), stderr a terminal: the summary text in the pipe, live progress",
    facts: { ...tty(false, true, false), ...plain, text: true },
    mode: { result: "human", logs: "human", level: "info", progress: "live" },
  },
  {
    why: "--text, two pipes: the summary text on stdout, JSON lines on stderr",
    facts: { ...tty(false, false, false), ...plain, text: true },
    mode: { result: "human", logs: "json", level: "info", progress: "json" },
  },
  {
    why: "--text into one file for both (2>&1): text only, no progress lines",
    facts: { ...tty(false, false, true), ...plain, text: true },
    mode: { result: "human", logs: "human", level: "info", progress: "off" },
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
    mode: { result: "json", logs: "json", level: "debug", progress: "json" },
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
          for (const [json, text] of [
            [false, false],
            [true, false],
            [false, true],
          ] as const)
            for (const quiet of bools)
              for (const verbose of bools) {
                // One stream is one file: a terminal on one side is a terminal on the other.
                if (sharedStream && stdoutIsTTY !== stderrIsTTY) continue;
                const facts = { stdoutIsTTY, stderrIsTTY, sharedStream, json, text, quiet, verbose };
                const mode = outputMode(facts);
                const what = JSON.stringify(facts);
                if (sharedStream && mode.result !== "none") {
                  assert.equal(mode.result === "json", mode.logs === "json", `mixed stream: ${what}`);
                }
                if (!stderrIsTTY) assert.notEqual(mode.progress, "live", what);
                if (mode.progress === "live") assert.equal(mode.logs, "human", what);
                if (mode.progress === "json") assert.equal(mode.logs, "json", what);
                if (json) assert.equal(mode.result, "json", what);
                if (!json && !text && mode.result !== "none") {
                  assert.equal(mode.result, stdoutIsTTY ? "human" : "json", `a terminal gets text, else JSON: ${what}`);
                }
                if (!stderrIsTTY && !sharedStream) assert.equal(mode.logs, "json", `logs off a terminal: ${what}`);
              }
  });
});
