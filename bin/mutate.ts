// Mutation testing of the safety logic (`npm run mutate [-- GROUP...]`): Stryker seeds small changes in the
// code and runs the tests that load it; a change no test notices is a surviving mutant. Each group pairs the
// modules it mutates with the few test files that exercise them, so a mutant costs a few test files rather
// than the suite (Stryker's per-test coverage then picks, of those files, the ones that reach the mutant).
// stryker.config.json holds the settings every group shares; reports/mutation/<group>.html lists each mutant.
import { readFileSync } from "node:fs";
import { Stryker } from "@stryker-mutator/core";
import type { MutantResult, PartialStrykerOptions } from "@stryker-mutator/api/core";

interface Group {
  mutate: string[];
  testFiles: string[];
}

const unit = (names: string[]) => names.map((name) => `test/unit/${name}.test.ts`);

/**
 * `file:first-last`, the lines from the first one holding `from` to the next one holding `to`, found in the file
 * as it is now: a group keeps mutating the same code when the lines above it move.
 */
function span(file: string, from: string, to: string): string {
  const lines = readFileSync(file, "utf8").split("\n");
  const first = lines.findIndex((line) => line.includes(from));
  const last = lines.findIndex((line, i) => i >= first && line.includes(to));
  if (first < 0 || last < 0) throw new Error(`bin/mutate.ts: ${file} has no lines from "${from}" to "${to}"`);
  return `${file}:${first + 1}-${last + 1}`;
}

const coreSafety = [
  "apply-rules",
  "change-detection",
  "concurrency",
  "dot-files",
  "errors",
  "host-plan",
  "index-record",
  "keys",
  "manifest",
  "mtime",
  "publish-rules",
].map((name) => `core/${name}.ts`);

const groups: Record<string, Group> = {
  guard: {
    mutate: ["core/delete-guard.ts"],
    testFiles: ["test/unit/delete-guard.test.ts"],
  },
  lock: {
    mutate: ["agent/lock.ts"],
    // test/integration/lock.test.ts (holders in other processes, races) takes too long to run per mutant.
    testFiles: ["test/unit/lock.test.ts"],
  },
  restore: {
    // agent/restore/restore-host.ts is left out: its tests start the local stack, minutes per mutant here.
    mutate: ["core/restore-rules.ts", "agent/restore/tree-writer.ts"],
    testFiles: unit(["restore-rules", "tree-writer"]),
  },
  // Two names on disk that decode to one key: one kept, the other reported.
  scan: {
    mutate: [span("agent/sync/scan.ts", "const earlier = seen.get(name);", "seen.set(name, raw);")],
    testFiles: unit(["scan"]),
  },
  // A file that changes while it is read: read again, or left for the next run; never published as read.
  stage: {
    mutate: [span("agent/sync/stage.ts", "/** The same file, unchanged:", "PERMISSION_FIX}` : detail };")],
    testFiles: unit(["stage"]),
  },
  // The pure logic deciding what is published, deleted, retried and trusted.
  core: {
    mutate: coreSafety,
    testFiles: unit([
      "apply-rules",
      "backoff",
      "batcher",
      "change-detection",
      "concurrency",
      "dot-files",
      "host-plan",
      "index-page",
      "keys",
      "manifest",
      "mtime",
      "publish-rules",
      "restore-rules",
      "run-id",
    ]),
  },
  // The rest of core/: rules and pages served at the edge, logging, contracts' schemas.
  "core-other": {
    mutate: ["core/**/*.ts", "!core/delete-guard.ts", "!core/restore-rules.ts", ...coreSafety.map((f) => `!${f}`)],
    testFiles: unit([
      "content-type",
      "contracts",
      "edge-rules",
      "emf",
      "host-plan",
      "htaccess",
      "index-page",
      "invalidation-planner",
      "manifest",
      "manifest-sent",
      "progress",
      "run-id",
      "stack-config",
    ]),
  },
  // The retry classification and the apply handler's conditional index writes. The other adapters' tests
  // start the whole local stack (tens of seconds a run on a shared machine): too slow to run per mutant.
  aws: {
    mutate: [
      "aws/backoff.ts",
      span(
        "aws/index/items.ts",
        "export const publishedUpdate",
        'ExpressionAttributeValues: { ":v": S(version), ":delete"',
      ),
      span(
        "aws/index/table.ts",
        "export function deleteIf",
        'if ((err as Error).name === "ConditionalCheckFailedException")',
      ),
      span(
        "aws/index/files.ts",
        "export function markPublished",
        "return deleteIf(ddb, table, tombstoneDelete(key, version));",
      ),
    ],
    testFiles: ["test/unit/backoff.test.ts", "test/integration/index-conditions.test.ts"],
  },
};

interface Tally {
  detected: number;
  undetected: number;
  errors: number;
  ignored: number;
}

function tally(results: readonly MutantResult[]): Tally {
  const t: Tally = { detected: 0, undetected: 0, errors: 0, ignored: 0 };
  for (const { status } of results) {
    if (status === "Killed" || status === "Timeout") t.detected++;
    else if (status === "Survived" || status === "NoCoverage") t.undetected++;
    else if (status === "Ignored") t.ignored++;
    else t.errors++;
  }
  return t;
}

/** Stryker's mutation score: detected over valid mutants (errors and ignored mutants are not valid). */
const score = (t: Tally) => (t.detected + t.undetected === 0 ? 100 : (100 * t.detected) / (t.detected + t.undetected));

const line = (name: string, t: Tally, seconds: number) =>
  `${name.padEnd(8)} ${score(t).toFixed(2).padStart(6)}%  detected ${t.detected}, undetected ${t.undetected}, ` +
  `errors ${t.errors}, ignored ${t.ignored}  (${Math.round(seconds)} s)`;

const requested = process.argv.slice(2);
const unknown = requested.filter((name) => !(name in groups));
if (unknown.length > 0) {
  console.error(`unknown group ${unknown.join(", ")}; groups: ${Object.keys(groups).join(", ")}`);
  process.exit(2);
}
const names = requested.length > 0 ? requested : Object.keys(groups);
const lines: string[] = [];
const total: Tally = { detected: 0, undetected: 0, errors: 0, ignored: 0 };
const started = Date.now();
for (const name of names) {
  const group = groups[name]!;
  const groupStarted = Date.now();
  const options: PartialStrykerOptions = {
    configFile: "stryker.config.json",
    mutate: group.mutate,
    tap: { testFiles: group.testFiles },
    incremental: true,
    incrementalFile: `reports/mutation/${name}-incremental.json`,
    jsonReporter: { fileName: `reports/mutation/${name}.json` },
    htmlReporter: { fileName: `reports/mutation/${name}.html` },
  };
  const t = tally(await new Stryker(options).runMutationTest());
  for (const key of Object.keys(total) as (keyof Tally)[]) total[key] += t[key];
  lines.push(line(name, t, (Date.now() - groupStarted) / 1000));
}
lines.push(line("overall", total, (Date.now() - started) / 1000));
console.log(`\nMutation score by group\n${lines.join("\n")}`);
