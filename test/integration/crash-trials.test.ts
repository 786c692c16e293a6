// The agent killed anywhere: the sitesync command runs as cron runs it (a child process) and is killed with
// SIGKILL at a seeded moment — while it scans, stages packs, writes the index, sends manifests, counts what it
// sent, records the end of its sending, or has started PostSync without recording it. The kill points are
// requests the agent makes, seen through a proxy in front of the servers (local/fault-proxy.ts, no faults):
// the request that triggers the kill is held, the process killed, then the request is forwarded (it lands
// after its sender died) or dropped, as the seed says. Trials are chained on one tree: kill, a normal run,
// verify, random edits, the next trial.
//
// After each normal run: the bucket equals the tree (every object's MD5 against its file's, and the trial's
// changed keys read whole), the index equals the bucket, the lock is free, no run is left open, no plan file
// is left in the state directory, and every pack in the version store is indexed or belongs to a killed run
// (those are never read, and the version store's lifecycle rule expires them after retentionDays). And no site
// object ever held bytes that were not a complete version of its file: every PUT the handlers made to the
// site bucket is checked, by content, against every version of the file the test wrote.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { listOpenRuns } from "../../aws/index/runs.ts";
import { acquireLock } from "../../agent/lock.ts";
import type { SyncResult } from "../../agent/sync/sync.ts";
import { silentLogger } from "../../core/logger.ts";
import type { AwsCall } from "../../aws/clients.ts";
import { seededRandom } from "../../core/seeded-random.ts";
import { startFaultProxies, type FaultProxies, type ProxiedRequest } from "../../local/fault-proxy.ts";
import { runCli } from "../support/cli.ts";
import { startHarness, type Harness } from "../support/harness.ts";
import { checkSiteEqualsTree, sha256, stagedSources } from "../support/site-check.ts";

/**
 * Files in the tree. The issue asks for 20,000; this test must finish within about 90 s on two cores, and the
 * first sync alone grows by about 10 s per thousand files there: 2,000 files took 80 s in all, 3,000 took
 * 100 s (docs/reliability.md). CRASH_TRIAL_FILES=20000 runs the full size.
 */
const FILES = Number(process.env.CRASH_TRIAL_FILES ?? 2000);
const SEED = Number(process.env.CRASH_TRIAL_SEED ?? 20261202);
const PREFIX = "crash/";
const PER_DIR = 50;
const TOP_DIRS = 8;

type Phase = "scan" | "stage" | "index" | "send" | "count" | "finish" | "postsync";

/** What each phase's kill point looks like on the wire (the agent's requests, through its own proxy). */
const KILL_POINTS: Record<Exclude<Phase, "scan">, (r: ProxiedRequest) => boolean> = {
  stage: (r) => r.service === "s3" && r.method === "PUT" && r.url.includes("/packs/"),
  index: (r) => target(r) === "BatchWriteItem" && r.body.includes("PutRequest"),
  send: (r) => target(r) === "SendMessageBatch",
  count: (r) => target(r) === "UpdateItem" && r.body.includes("SET sent = :e"),
  finish: (r) => target(r) === "UpdateItem" && r.body.includes("finished = :finished"),
  postsync: (r) => target(r) === "UpdateItem" && r.body.includes("SET psx = :arn"),
};
const target = (r: ProxiedRequest) => String(r.headers["x-amz-target"] ?? "").replace(/^.*\./, "");

// Trial 0 kills the first sync of the whole tree; the others kill a sync of the trial's random edits.
const PHASES: Phase[] = ["stage", "scan", "index", "send", "count", "stage", "finish", "postsync", "scan", "index"];

const PROJECT = join(dirname(fileURLToPath(import.meta.url)), "../..");

describe(`crash trials: the agent killed at random moments of a ${FILES}-file sync`, () => {
  let h: Harness;
  let agentProxy: FaultProxies;
  let agent: string;
  /** Every content the test ever wrote at each site path, by SHA-256. */
  const versions = new Map<string, Set<string>>();
  /** Every PUT and copy the handlers made to the site bucket. */
  const siteWrites: Array<{ key: string; sha256?: string; command: string }> = [];

  before(async () => {
    h = await startHarness({
      apply: false,
      onCall: (_component: string, call: AwsCall) => {
        const input = call.input as { Bucket?: string; Key?: string; Body?: unknown };
        if (input.Bucket !== h?.stack.definition.siteBucket) return;
        if (call.command === "PutObjectCommand" && Buffer.isBuffer(input.Body)) {
          siteWrites.push({ key: input.Key!, sha256: sha256(input.Body), command: call.command });
        } else if (call.command === "CopyObjectCommand" || call.command === "UploadPartCopyCommand") {
          siteWrites.push({ key: input.Key!, command: call.command });
        }
      },
    });
    agentProxy = await startFaultProxies(h.stack.servers.endpoints, { share: 0, seed: SEED });
    // The agent as cron runs it on the host: the single-file bundle (which also starts in half the time).
    agent = join(h.tempDir("sitesync-bundle-"), "sitesync.mjs");
    const build = await runCli(["--out", agent], { entry: join(PROJECT, "bin/build-agent.ts") });
    assert.equal(build.code, 0, build.stderr);
  });
  after(async () => {
    await h.close();
    await agentProxy.stop();
  });

  // About a minute and a half at the default size; the full 20,000 files take far longer (docs/reliability.md).
  const timeout = Math.max(600_000, FILES * 150);
  test("ten kills, each followed by a normal run that leaves everything whole", { timeout }, async (t) => {
    const random = seededRandom(SEED);
    const root = h.tempDir();
    const stateDir = join(h.tempDir("sitesync-crash-state-"), "state");
    let written = 0;
    const write = (rel: string) => {
      const body = `${rel} write ${written++} ${"~".repeat(Math.floor(random() * 300))}\n`;
      mkdirSync(dirname(join(root, rel)), { recursive: true });
      writeFileSync(join(root, rel), body);
      versions.set(rel, (versions.get(rel) ?? new Set()).add(sha256(body)));
    };
    const live = new Set<string>();
    const pathOf = (n: number) => `t${n % TOP_DIRS}/d${Math.floor(n / (PER_DIR * TOP_DIRS))}/f${n}.txt`;
    const started = Date.now();
    for (let n = 0; n < FILES; n++) {
      write(pathOf(n));
      live.add(pathOf(n));
    }
    let nextFile = FILES;
    t.diagnostic(`${FILES} files written in ${Date.now() - started} ms; seed ${SEED}`);

    const settings = h.stack.agentSettings() as { endpoints: Record<string, string> };
    const config = h.configFile(root, {
      prefix: PREFIX,
      stateDir,
      endpoints: { ...settings.endpoints, ...agentProxy.endpoints },
      // Packs of 100 files: a few dozen commits per trial, so kills land between and inside them.
      pack: { maxFiles: 100, maxBytes: 1_048_576, largeFileBytes: 262_144 },
    });
    const source = h.stack.startApply({ onError: () => {} });

    /**
     * Per phase, how many of its requests a whole run of a trial's edits makes (learnt from a killed run that
     * finished before its kill point; a first guess until then), and how long its scan takes.
     */
    let whole: Record<Phase, number> = { scan: 0, stage: 2, index: 20, send: 3, count: 3, finish: 1, postsync: 1 };
    let scanMs = 500;
    const changed = new Set<string>();

    /**
     * Random edits, mostly in a few directories as people work: rewrites and deletions there, a few rewrites
     * anywhere, a new directory, and every third trial a whole directory removed.
     */
    const edit = (trial: number) => {
      const files = [...live];
      const pick = (from: string[]) => from[Math.floor(random() * from.length)]!;
      const hotDirs = new Set(Array.from({ length: 4 }, () => dirname(pick(files))));
      const hot = files.filter((rel) => hotDirs.has(dirname(rel)));
      const rewrite = (rel: string) => {
        if (!live.has(rel)) return;
        write(rel);
        changed.add(rel);
      };
      for (let i = 0; i < 140; i++) rewrite(pick(hot));
      for (let i = 0; i < 10; i++) rewrite(pick(files));
      for (let i = 0; i < 40; i++) {
        const rel = pick(hot);
        if (!live.delete(rel)) continue;
        rmSync(join(root, rel));
        changed.add(rel);
      }
      if (trial % 3 === 0) {
        const dir = dirname(pick(files));
        rmSync(join(root, dir), { recursive: true, force: true });
        for (const rel of files) {
          if (dirname(rel) === dir && live.delete(rel)) changed.add(rel);
        }
      }
      for (let i = 0; i < 40; i++) {
        const rel = `t${trial % TOP_DIRS}/new${trial}/f${nextFile++}.txt`;
        write(rel);
        live.add(rel);
        changed.add(rel);
      }
    };

    const outcomes: string[] = [];
    for (const [trial, phase] of PHASES.entries()) {
      const trialStarted = Date.now();
      if (trial > 0) edit(trial);
      const trialSeed = Math.floor(random() * 2 ** 31);
      const choose = seededRandom(trialSeed);
      // The first sync has no run to learn from: a pack anywhere in its first four fifths.
      const expected = trial === 0 ? { ...whole, stage: Math.floor((FILES / 100) * 0.8) } : whole;
      const kill = await killedRun(config, phase, choose, expected, scanMs);
      if (!kill.killed && trial > 0) whole = kill.counts;
      if (kill.scanMs !== undefined && trial > 0) scanMs = kill.scanMs;

      // A run killed before it wrote anything leaves the whole trial to the next: learn its requests.
      const counts = { ...whole };
      const learn = trial > 0 && !kill.wrote;
      if (learn) for (const name of Object.keys(counts)) counts[name as Phase] = 0;
      agentProxy.setInterceptor((r) => {
        for (const [name, matches] of Object.entries(KILL_POINTS)) if (matches(r)) counts[name as Phase] += 1;
        return undefined;
      });
      const spawnedAt = Date.now();
      const normal = await runCli(["sync", "--config", config, "--json"], { entry: agent });
      agentProxy.setInterceptor(undefined);
      if (learn) whole = counts;
      assert.equal(normal.code, 0, `trial ${trial}: the run after the kill succeeds: ${normal.stderr.slice(-1500)}`);
      const result = JSON.parse(normal.stdout) as SyncResult;
      const normalMs = Date.now() - spawnedAt;
      // Everything the normal run and the killed one sent is applied, and every PostSync started succeeds.
      const runs = [...(result.publish ? [result.runId] : []), ...(result.settled ?? []).map((s) => s.runId)];
      for (const runId of runs) await h.stack.waitForRun(runId, 120_000);
      for (const arn of [result.postSyncExecutionArn, ...(result.settled ?? []).map((s) => s.executionArn)]) {
        if (!arn) continue;
        const execution = await h.stack.postSync.server.waitForExecution(arn, 120_000);
        assert.equal(execution.status, "SUCCEEDED", `trial ${trial}: PostSync ${execution.error}: ${execution.cause}`);
      }
      const appliedMs = Date.now() - spawnedAt - normalMs;
      const verifyStarted = Date.now();
      await verify(trial, root, stateDir, changed, kill.runIds);
      const verifyMs = Date.now() - verifyStarted;
      changed.clear();

      const outcome =
        `trial ${trial} (seed ${trialSeed}): ${phase}` +
        ` — ${kill.killed ? `killed at ${kill.at} after ${kill.ms} ms` : "finished before its kill point"}` +
        `${kill.request ? `, its request ${kill.request}` : ""}; next run: ${result.plan.put} put, ` +
        `${result.plan.delete} delete, ${result.plan.resend} re-sent, ${result.settled?.length ?? 0} run(s) settled; ` +
        `whole after ${((Date.now() - trialStarted) / 1000).toFixed(1)} s (normal run ${normalMs} ms, applied and ` +
        `PostSync ${appliedMs} ms, checks ${verifyMs} ms); ${orphanPacks} unindexed pack(s) so far`;
      outcomes.push(outcome);
      t.diagnostic(outcome);
    }
    await source.stop();
    assert.ok(
      outcomes.filter((o) => o.includes(" killed at ")).length >= 8,
      "at least eight trials killed the agent mid-run",
    );
    const cpu = process.cpuUsage();
    t.diagnostic(
      `${siteWrites.length} site writes checked; ${((Date.now() - started) / 1000).toFixed(1)} s in all; ` +
        `this process (servers, handlers, checks) used ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s of CPU`,
    );
  });

  /**
   * Starts a sync and kills it at the phase's kill point: after a random share of its scan, or at a random
   * one of the phase's requests — or, should the run get to the end of its sending first, there. Returns what
   * happened, the requests it made per phase, and the runs it may have left open.
   */
  async function killedRun(
    config: string,
    phase: Phase,
    choose: () => number,
    expected: Record<Phase, number>,
    scanMs: number,
  ): Promise<{
    killed: boolean;
    at?: string;
    ms: number;
    request?: string;
    counts: Record<Phase, number>;
    /** From the start of its scan to its first write. */
    scanMs?: number;
    wrote: boolean;
    runIds: string[];
  }> {
    const child = spawn(process.execPath, [agent, "sync", "--config", config, "--json"], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    const spawned = Date.now();
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on("exit", (_code, signal) => resolve(signal)),
    );
    const counts: Record<Phase, number> = { scan: 0, stage: 0, index: 0, send: 0, count: 0, finish: 0, postsync: 0 };
    let scanStarted: number | undefined;
    let firstWrite: number | undefined;
    let at: string | undefined;
    let request: string | undefined;
    const point = phase === "scan" ? 0 : 1 + Math.floor(choose() * expected[phase]);
    const forward = choose() < 0.5;
    const kill = (where: string) => {
      at ??= where;
      child.kill("SIGKILL");
    };
    // The run's log says when its scan begins (after the lock, the open runs and the host's replica).
    child.stderr.on("data", (chunk: Buffer) => {
      if (scanStarted !== undefined || !chunk.toString().includes('"msg":"scanning"')) return;
      scanStarted = Date.now();
      if (phase !== "scan") return;
      setTimeout(
        () => kill(firstWrite === undefined ? "its scan" : "its first writes, past the scan"),
        Math.floor(choose() * scanMs),
      );
    });
    agentProxy.setInterceptor((r) => {
      if (/BatchWriteItem|UpdateItem|PutItem/.test(target(r)) || r.method === "PUT") firstWrite ??= Date.now();
      for (const [name, matches] of Object.entries(KILL_POINTS)) if (matches(r)) counts[name as Phase] += 1;
      if (phase === "scan" || at !== undefined) return undefined;
      const reached = KILL_POINTS[phase](r) && counts[phase] === point;
      // PostSync is started after the end of sending: only the phases before it fall back to that end.
      const fallback = phase !== "postsync" && KILL_POINTS.finish(r);
      if (!reached && !fallback) return undefined;
      request = forward ? "forwarded after the kill" : "dropped";
      kill(reached ? `${phase} #${point}` : "the end of its sending (its kill point not reached)");
      return exited.then(() => (forward ? "forward" : "drop"));
    });
    const signal = await exited;
    agentProxy.setInterceptor(undefined);
    const runIds = (await listOpenRuns(h.stack.directClients.dynamodb, h.stack.definition.table, PREFIX)).map(
      (r) => r.runId,
    );
    const killed = signal === "SIGKILL";
    return {
      killed,
      ...(killed && at ? { at } : {}),
      ms: Date.now() - spawned,
      ...(killed && request ? { request } : {}),
      counts,
      ...(firstWrite !== undefined && scanStarted !== undefined ? { scanMs: firstWrite - scanStarted } : {}),
      wrote: firstWrite !== undefined,
      runIds,
    };
  }

  async function verify(
    trial: number,
    root: string,
    stateDir: string,
    changed: Set<string>,
    killedRuns: string[],
  ): Promise<void> {
    const read = [...changed].map((rel) => PREFIX + rel);
    await checkSiteEqualsTree(h.stack, root, PREFIX, { compare: "etag", read });

    // No site object ever held bytes that were not a whole version of its file.
    for (const w of siteWrites) {
      const rel = w.key.slice(PREFIX.length);
      const known = versions.get(rel);
      if (!known) continue; // a listing, a directory marker, the error page: never a file's key here
      assert.equal(w.command, "PutObjectCommand", `${w.key} was only ever written whole`);
      assert.ok(known.has(w.sha256!), `trial ${trial}: a PUT to ${w.key} held bytes no version of the file had`);
    }

    const lock = acquireLock(stateDir, "crash-trials check", silentLogger);
    lock.release();
    assert.deepEqual(await listOpenRuns(h.stack.directClients.dynamodb, h.stack.definition.table, PREFIX), []);
    const leftovers = readdirSync(stateDir).filter((name) => /^plan-/.test(name));
    assert.deepEqual(leftovers, [], "no plan file is left in the state directory");

    // Every pack is indexed (history names every staged version), or was staged by a killed run before it
    // could index it: never read, and expired with every staged byte by the version store's lifecycle rule.
    for (const runId of killedRuns) everKilled.add(runId);
    const indexed = await stagedSources(h.stack);
    const packs: string[] = [];
    let token: string | undefined;
    do {
      const page = await h.stack.directClients.s3.send(
        new ListObjectsV2Command({
          Bucket: h.stack.definition.versionBucket,
          Prefix: "packs/",
          ContinuationToken: token,
        }),
      );
      packs.push(...(page.Contents ?? []).map((o) => o.Key!));
      token = page.NextContinuationToken;
    } while (token);
    const unindexed = packs.filter((key) => !indexed.has(key));
    orphanPacks = unindexed.length;
    assert.deepEqual(
      unindexed.filter((key) => !everKilled.has(key.split("/")[1]!)),
      [],
      "every pack the index does not name was staged by a killed run",
    );
  }

  /** Runs killed so far: their packs may never have been indexed. */
  const everKilled = new Set<string>();
  let orphanPacks = 0;
});
