// Helpers of the bad-input suite: the agent as cron runs it (the single-file bundle, a child process, as root
// or as an unprivileged user), its warnings read back from its JSON log lines, and the check that nothing but
// the bad input was lost.
import assert from "node:assert/strict";
import { chmodSync, copyFileSync, mkdirSync, readdirSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import type { SyncResult } from "../../agent/sync/sync.ts";
import { runCli } from "./cli.ts";
import type { Harness } from "./harness.ts";
import { checkSiteEqualsTree, type SiteCheck } from "./site-check.ts";

const PROJECT = join(dirname(fileURLToPath(import.meta.url)), "../..");

/** Builds the agent's bundle where an unprivileged user can run it; returns its path. */
export async function buildAgent(h: Harness): Promise<string> {
  const dir = h.tempDir("sitesync-bundle-");
  chmodSync(dir, 0o755);
  const agent = join(dir, "sitesync.mjs");
  const build = await runCli(["--out", agent], { entry: join(PROJECT, "bin/build-agent.ts") });
  assert.equal(build.code, 0, build.stderr);
  chmodSync(agent, 0o644);
  return agent;
}

export interface LogLine {
  level: string;
  msg: string;
  [field: string]: unknown;
}

export interface AgentRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The run's result (--json), when it ran to the end. */
  result?: SyncResult;
  /** Its warnings and errors, from its JSON log lines. */
  warnings: LogLine[];
}

/**
 * Runs `sitesync sync --json` with the bundle; once it exits 0, waits (unless `wait` is false) until its run is
 * applied and its PostSync done.
 */
export async function agentSync(
  h: Harness,
  agent: string,
  config: string,
  options: { unprivileged?: boolean; args?: string[]; wait?: boolean } = {},
): Promise<AgentRun> {
  const res = await runCli(["sync", "--config", config, "--json", ...(options.args ?? [])], {
    entry: agent,
    ...(options.unprivileged ? { unprivileged: true } : {}),
  });
  const warnings = res.stderr
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as LogLine)
    .filter((line) => line.level === "warn" || line.level === "error");
  if (res.code !== 0) return { ...res, warnings };
  const result = JSON.parse(res.stdout) as SyncResult;
  if (options.wait === false) return { ...res, result, warnings };
  if ((result.publish?.entriesSent ?? 0) > 0) await h.stack.waitForRun(result.runId, 60_000);
  await h.waitForPostSync(result);
  return { ...res, result, warnings };
}

/** The one warning about `key` (a site path, with or without the prefix) whose message matches `msg`. */
export function warningAbout(run: AgentRun, msg: RegExp, key: string): LogLine {
  const found = run.warnings.filter(
    (w) => msg.test(w.msg) && typeof w.key === "string" && (w.key === key || w.key.endsWith(`/${key}`)),
  );
  assert.equal(found.length, 1, `one warning ${msg} about ${key}; the warnings were ${JSON.stringify(run.warnings)}`);
  return found[0]!;
}

/**
 * Nothing but the bad input was lost: the bucket under `prefix` holds every regular file of the tree but the
 * `omitted` site paths (and what is under them), byte for byte, and the index says exactly that. The tree is
 * mirrored without them and the mirror checked (test/support/site-check.ts).
 */
export async function checkNothingElseLost(
  h: Harness,
  root: string,
  prefix: string,
  omitted: string[] = [],
): Promise<SiteCheck> {
  const mirror = h.tempDir("sitesync-expected-");
  const left = (rel: string) => omitted.some((o) => rel === o || rel.startsWith(`${o}/`));
  for (const path of walk(root, "files")) {
    const rel = relative(root, path).split(sep).join("/");
    if (left(rel) || rel.split("/").some((part) => part.startsWith("."))) continue;
    mkdirSync(dirname(join(mirror, rel)), { recursive: true });
    copyFileSync(path, join(mirror, rel));
  }
  return checkSiteEqualsTree(h.stack, mirror, prefix, { compare: "get" });
}

/** Lets the unprivileged user read the tree and the configuration, and write the state directory. */
export function openToEveryone(...dirs: string[]): void {
  for (const dir of dirs) {
    chmodSync(dir, 0o777);
    for (const path of walk(dir, "dirs")) chmodSync(path, 0o777);
    for (const path of walk(dir, "files")) chmodSync(path, 0o666);
  }
}

/**
 * The regular files (or the folders) under `dir`, by a walk that never follows a symbolic link: Node 22's
 * recursive readdir follows links to folders, so a link to ".." never ends.
 */
function walk(dir: string, kind: "files" | "dirs"): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (kind === "dirs") found.push(path);
      found.push(...walk(path, kind));
    } else if (entry.isFile() && kind === "files") found.push(path);
  }
  return found;
}
