// One sitesync run as cron would start it: the real CLI in a child process (`sitesync sync --config F --json`),
// then — for end-to-end figures — the wait until the cloud side has applied everything the run sent.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { SyncResult } from "../agent/sync/sync.ts";
import { DEFAULT_HEAP_MB, HEAP_FLAG } from "../agent/heap.ts";
import type { CloudSide, Counters } from "./cloud.ts";
import { profileFlags } from "./profile.ts";
import { runTimed } from "./timed.ts";

const PROJECT = join(dirname(fileURLToPath(import.meta.url)), "..");
/**
 * The one-file agent a host runs (`npm run build:agent`), built afresh by the bench before it measures: the
 * sources run through Node's type stripping, which alone adds ~50 MB and start-up time no host pays.
 */
const CLI = join(PROJECT, "dist", "sitesync.mjs");

/** Builds dist/sitesync.mjs from the working tree, so the bench measures the code it is run with. */
export async function buildAgent(): Promise<void> {
  const run = await runTimed(process.execPath, [join(PROJECT, "bin", "build-agent.ts")]);
  if (run.code !== 0) throw new Error(`building the agent failed: ${run.stderr.trim().slice(-2000)}`);
}

export interface SitesyncRun {
  result: SyncResult;
  /**
   * The agent process, spawn to exit (Node start-up included, as cron pays it); all attempts, if it had
   * to be re-run.
   */
  agentSeconds: number;
  /** Why earlier attempts exited 1, when the run had to be started again. */
  failures: string[];
  /** From the agent's start until the cloud side reported every entry of the run applied. */
  endToEndSeconds: number;
  /** From the agent's start until the run's PostSync (listing pages, invalidations) ended, when it ran. */
  postSyncSeconds?: number;
  postSyncStatus?: string;
  postSyncError?: string;
  /** Requests the servers received from the agent's start until the run was applied (apply included). */
  requests: Counters;
  /** Requests after that, until PostSync ended (its own, and the bench's polling). */
  postSyncRequests?: Counters;
}

/** Writes the agent's configuration file: the tree, its own state directory, and the cloud side's settings. */
export function writeAgentConfig(dir: string, root: string, cloud: CloudSide): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, "sitesync.json");
  // No settle window: the bench edits files moments before each run and measures that run publishing them.
  const config = { root, stateDir: join(dir, "state"), settleSeconds: 0, ...cloud.settings };
  writeFileSync(path, `${JSON.stringify(config, null, 2)}\n`);
  return path;
}

/**
 * Runs the agent as cron would: a run that exits 1 ("failed, retry later") is simply run again, up to
 * this many times.
 */
const ATTEMPTS = 3;

export async function runSitesync(cloud: CloudSide, configPath: string, timeoutMs: number): Promise<SitesyncRun> {
  const before = await cloud.counters();
  const started = process.hrtime.bigint();
  const failures: string[] = [];
  for (;;) {
    const run = await runTimed(
      process.execPath,
      [
        "--disable-warning=ExperimentalWarning",
        // As the installed command starts it (docs/operations.md): the heap capped at start-up, the agent in
        // the main thread.
        `${HEAP_FLAG}=${DEFAULT_HEAP_MB}`,
        ...profileFlags("agent"),
        CLI,
        "sync",
        "--config",
        configPath,
        "--json",
        "--log-level",
        "warn",
      ],
      { timeoutMs },
    );
    const exited = Number(process.hrtime.bigint() - started) / 1e9;
    if (run.timedOut) throw new Error(`sitesync sync did not finish within ${timeoutMs / 1000} s`);
    if (run.code === 1 && failures.length + 1 < ATTEMPTS) {
      // Timings then include the failed attempt: that is what the site's publishers would wait.
      const why = lastError(run.stderr);
      failures.push(why);
      process.stdout.write(
        `  ! sitesync sync exited 1 after ${run.seconds.toFixed(1)} s (${why}); running it again, as cron would\n`,
      );
      continue;
    }
    if (run.code !== 0) throw new Error(`sitesync sync exited ${run.code}: ${run.stderr.trim().slice(-2000)}`);
    const warnings = run.stderr
      .split("\n")
      .filter((line) => line.trim() !== "" && !line.includes('"level":"info"'))
      .join("\n");
    // The run's metrics line (info, always written) is not a warning.
    if (warnings !== "") process.stderr.write(`  (agent warnings) ${warnings.slice(-1000)}\n`);
    const result = JSON.parse(run.stdout) as SyncResult;
    const agentSeconds = failures.length === 0 ? run.seconds : exited;
    if ((result.publish?.entriesSent ?? 0) === 0) {
      return {
        result,
        agentSeconds,
        endToEndSeconds: exited,
        failures,
        requests: subtract(await cloud.counters(), before),
      };
    }
    const waited = await cloud.waitForRun(result.runId, result.postSyncExecutionArn, timeoutMs);
    const out: SitesyncRun = {
      result,
      agentSeconds,
      endToEndSeconds: exited + waited.appliedMs / 1000,
      failures,
      requests: subtract(waited.appliedCounters, before),
    };
    if (waited.postSyncMs !== undefined) {
      out.postSyncSeconds = exited + waited.postSyncMs / 1000;
      out.postSyncStatus = waited.postSyncStatus ?? "unknown";
      if (waited.postSyncError) out.postSyncError = waited.postSyncError;
      out.postSyncRequests = subtract(await cloud.counters(), waited.appliedCounters);
    }
    return out;
  }
}

/** The agent's last error line (JSON logs on stderr), for the report. */
function lastError(stderr: string): string {
  const lines = stderr.trim().split("\n").reverse();
  for (const line of lines) {
    try {
      const entry = JSON.parse(line) as { level?: string; msg?: string };
      if (entry.level === "error" && entry.msg) return entry.msg;
    } catch {
      // not a JSON line
    }
  }
  return lines[0]?.slice(0, 300) ?? "no output";
}

/** What the servers received between two snapshots. */
export function subtract(after: Counters, before: Counters): Counters {
  const minus = (a: Record<string, number>, b: Record<string, number>) =>
    Object.fromEntries(
      Object.entries(a)
        .map(([k, v]) => [k, v - (b[k] ?? 0)])
        .filter(([, v]) => v !== 0),
    );
  return {
    s3: minus(after.s3, before.s3),
    s3WritesByBucket: minus(after.s3WritesByBucket, before.s3WritesByBucket),
    sqs: after.sqs - before.sqs,
    dynamodb: after.dynamodb - before.dynamodb,
    dynamodbOps: minus(after.dynamodbOps, before.dynamodbOps),
    applyErrors: after.applyErrors - before.applyErrors,
    invalidationPaths: after.invalidationPaths - before.invalidationPaths,
    faults: after.faults - before.faults,
    rssBytes: after.rssBytes,
  };
}
