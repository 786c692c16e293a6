// Every line of the TypeScript and JavaScript the repository tracks is at most 120 characters. Biome formats
// to 120 columns but leaves long string literals, template literals and comments as they are, so this test
// holds the limit for those. Markdown and JSON are not checked.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const projectDir = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

const MAX_LINE = 120;
const CHECKED = [
  "agent",
  "aws",
  "core",
  "lambdas",
  "lib",
  "local",
  "bin",
  "bench",
  "test",
  "examples/generator",
  "examples/generate-site.ts",
];

/** The .ts and .js files git tracks under CHECKED (a tracked file deleted in the work tree is skipped). */
function trackedSources(): string[] {
  const listed = execFileSync("git", ["ls-files", "-z", "--", ...CHECKED], { cwd: projectDir, encoding: "utf8" });
  return listed
    .split("\0")
    .filter((file) => /\.(ts|js)$/.test(file) && existsSync(join(projectDir, file)))
    .sort();
}

describe("line length", () => {
  test(`every line of every tracked .ts and .js file is at most ${MAX_LINE} characters`, () => {
    const files = trackedSources();
    assert.ok(files.length > 100, `only ${files.length} files found: is this a git checkout?`);
    const long: string[] = [];
    for (const file of files) {
      const lines = readFileSync(join(projectDir, file), "utf8").split(/\r?\n/);
      lines.forEach((line, i) => {
        // Characters (code points), not UTF-16 units or bytes: "≥" or "日" is one character.
        const length = [...line].length;
        if (length > MAX_LINE) long.push(`${file}:${i + 1}: ${length} characters`);
      });
    }
    assert.deepEqual(long, [], `lines over ${MAX_LINE} characters:\n${long.join("\n")}`);
  });
});
