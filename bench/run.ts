// `npm run bench`: sitesync's figures on this machine, and ratios against rclone and `aws s3 sync` publishing
// the same tree to the same local S3 server. It prints; it asserts nothing (timings are not a test).
//
//   npm run bench [-- --files N] [--skip-peers] [--peer-timeout S] [--profile DIR]
//
// Layout: every tool gets a fresh cloud-side process (bench/cloud-side.ts: fauxqs + dynalite in memory, and the
// apply handler), and runs itself as a separate process against it — the agent through its real CLI, as cron
// runs it. The generated tree lives in .bench/ and is reused while its spec matches.
import { cpus, totalmem } from "node:os";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { startCloudSide, S3_WRITE_OPS, type CloudSide, type Counters } from "./cloud.ts";
import { watchNoise, type Noise } from "./noise.ts";
import { enableProfiles } from "./profile.ts";
import { setUpPeers, type Peer } from "./peers.ts";
import { count, mib, rate, ratio, seconds, table } from "./report.ts";
import { buildAgent, runSitesync, subtract, writeAgentConfig, type SitesyncRun } from "./sitesync-runner.ts";
import { runTimed } from "./timed.ts";
import { editOnePercent, ensureTree, touchAll, type TreeInfo } from "./tree.ts";
import { writeChart, type BenchSummary } from "./chart.ts";
import { findFloor } from "./floor.ts";

const USAGE = `npm run bench [-- --files N] [--skip-peers] [--peer-timeout S] [--profile DIR]
  --files N          files in the generated tree (default 100000)
  --skip-peers       measure sitesync only
  --peer-timeout S   give up on one peer run after S seconds and report "> S" (default 300)
  --profile DIR      write CPU profiles of the agent and cloud-side processes into DIR`;

const projectDir = join(dirname(fileURLToPath(import.meta.url)), "..");
const benchDir = join(projectDir, ".bench");
/** Kept in git: the latest summary per tree size and the chart drawn from them (README "Benchmarks"). */
const resultsDir = join(projectDir, "bench", "results");

const { values } = parseArgs({
  options: {
    files: { type: "string", default: "100000" },
    "skip-peers": { type: "boolean", default: false },
    "peer-timeout": { type: "string", default: "300" },
    profile: { type: "string" },
    help: { type: "boolean", short: "h" },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const files = Number(values.files);
const peerTimeoutS = Number(values["peer-timeout"]);
if (!Number.isInteger(files) || files < 100 || !Number.isFinite(peerTimeoutS) || peerTimeoutS <= 0) {
  console.error(`bench: --files must be an integer of at least 100 and --peer-timeout a positive number\n${USAGE}`);
  process.exit(2);
}
if (values.profile) {
  mkdirSync(resolve(values.profile), { recursive: true });
  enableProfiles(resolve(values.profile));
}
/**
 * sitesync is what is measured, not capped: a generous bound only so that a hang cannot last forever
 * (30 minutes, or 6 ms a file: a first sync of a million files end to end on two shared cores).
 */
const SITESYNC_TIMEOUT_MS = Math.max(1_800_000, files * 6);

interface PhaseResult {
  seconds?: number;
  /** Set when the run was stopped at the timeout: the figure is a lower bound. */
  timedOutAfter?: number;
  requests?: Counters;
  peakRssBytes?: number;
  changed: number;
}

interface PeerResult {
  peer: Peer;
  first?: PhaseResult;
  noChange?: PhaseResult;
  onePercent?: PhaseResult;
  note?: string;
}

const log = (line: string) => console.log(`· ${line}`);
/** CPU other processes took during each block: the figures are only as good as the machine was quiet. */
const noiseByBlock: Array<{ block: string } & Noise> = [];
const writes = (c: Counters | undefined) => (c ? S3_WRITE_OPS.reduce((sum, op) => sum + (c.s3[op] ?? 0), 0) : 0);
const s3Requests = (c: Counters | undefined) => (c ? Object.values(c.s3).reduce((a, b) => a + b, 0) : 0);

mkdirSync(benchDir, { recursive: true });
rmSync(join(benchDir, "run"), { recursive: true, force: true });
const startedAt = new Date();
console.log(
  `sitesync bench — ${startedAt.toISOString()} — ${cpus().length} cores (${cpus()[0]?.model.trim()}), ` +
    `${mib(totalmem())} RAM, Node ${process.version}\n`,
);

const peerSetup = values["skip-peers"]
  ? { peers: [], notes: ["peers skipped (--skip-peers)"] }
  : setUpPeers(benchDir, log);
for (const note of peerSetup.notes) log(note);
await buildAgent();
log("agent: dist/sitesync.mjs, built from this tree (what a host runs)");
const tree = ensureTree(benchDir, files, log);
log(`tree: ${count(tree.files)} files, ${count(tree.directories)} directories, ${mib(tree.bytes)}`);

// 1. The sample site, first sync, end to end.
const sample = await withCloudSide("sample site", async (cloud) => {
  const config = writeAgentConfig(join(benchDir, "run", "sample"), join(projectDir, "examples/site"), cloud);
  return runSitesync(cloud, config, SITESYNC_TIMEOUT_MS);
});
log(
  `sample site: ${sample.result.plan.put} files, agent ${seconds(sample.agentSeconds)} s, ` +
    `end to end ${seconds(sample.endToEndSeconds)} s`,
);

// 2. The floor: find reading what the scan reads of every file.
const floorSeconds = await findFloor(tree.root);
log(`find floor: ${seconds(floorSeconds)} s for ${count(tree.files)} files`);

// 3. The generated tree: first sync, no change, 1% changed, touch all.
let editRound = 0;
const ours = await withCloudSide("sitesync", async (cloud) => {
  const config = writeAgentConfig(join(benchDir, "run", "sitesync"), tree.root, cloud);
  const first = await runSitesync(cloud, config, SITESYNC_TIMEOUT_MS);
  log(
    `sitesync first sync: agent ${seconds(first.agentSeconds)} s, end to end ${seconds(first.endToEndSeconds)} s, ` +
      `peak RSS ${mib(first.result.peakRssBytes)}`,
  );
  // The run after a first sync also records, once, that the whole first sync is published (every row of the
  // host's replica); the run after that is the one cron meets each time nothing changed: both are shown, the
  // second is the figure.
  const afterFirst = await runSitesync(cloud, config, SITESYNC_TIMEOUT_MS);
  log(
    `sitesync no-change, the run after the first sync (records its publication in the replica): ` +
      `${seconds(afterFirst.endToEndSeconds)} s, peak RSS ${mib(afterFirst.result.peakRssBytes)}`,
  );
  const noChange = await runSitesync(cloud, config, SITESYNC_TIMEOUT_MS);
  log(
    `sitesync no-change: ${seconds(noChange.endToEndSeconds)} s, ${noChange.result.plan.put} uploads planned, ` +
      `peak RSS ${mib(noChange.result.peakRssBytes)}`,
  );
  const edited = editOnePercent(tree, ++editRound);
  const changed = await runSitesync(cloud, config, SITESYNC_TIMEOUT_MS);
  log(
    `sitesync 1% changed (${edited} files): agent ${seconds(changed.agentSeconds)} s, ` +
      `end to end ${seconds(changed.endToEndSeconds)} s, ${writes(changed.requests)} S3 writes`,
  );
  const touched = touchAll(tree, ++editRound);
  const touchedRun = await runSitesync(cloud, config, SITESYNC_TIMEOUT_MS);
  log(
    `sitesync touch all (${touched} files, same bytes): agent ${seconds(touchedRun.agentSeconds)} s, ` +
      `${writes(touchedRun.requests)} S3 writes, ${touchedRun.requests.invalidationPaths} invalidation paths`,
  );
  return { first, noChange, changed, edited, touched, touchedRun, cloudRss: (await cloud.counters()).rssBytes };
});

// 4. The peers on the same tree, each against a fresh cloud side of its own. The figures are written after
// every block, so a run stopped before its end (a million files takes hours) keeps what it measured.
const peerResults: PeerResult[] = [];
const resultsPath = join(benchDir, `results-${startedAt.toISOString().replace(/[:.]/g, "-")}.json`);
let summaryPath = saveFigures();
for (const peer of peerSetup.peers) {
  peerResults.push(await withCloudSide(peer.name, (cloud) => runPeer(peer, cloud, tree)));
  summaryPath = saveFigures();
}
printReport(tree, sample, ours, peerResults, peerSetup.notes);
console.log(`\nRaw figures: ${resultsPath}\nSummary: ${summaryPath}\nChart: ${join(resultsDir, "chart.svg")}`);

/** Writes the raw figures so far, this tree size's summary and the chart; returns the summary's path. */
function saveFigures(): string {
  const results = { startedAt, files, tree: { ...tree, paths: undefined }, sample, ours, peerResults, noiseByBlock };
  writeFileSync(resultsPath, `${JSON.stringify(results, null, 2)}\n`);
  const path = writeSummary(resultsDir, summarise());
  writeChart(resultsDir);
  return path;
}

/** This run's figures for the chart and the README: bench/results/<files>.json, one per tree size. */
function summarise(): BenchSummary {
  const series: BenchSummary["series"] = [
    {
      tool: "sitesync",
      phase: "first sync",
      seconds: ours.first.endToEndSeconds,
      peakRssBytes: ours.first.result.peakRssBytes,
    },
    {
      tool: "sitesync",
      phase: "no change",
      seconds: ours.noChange.endToEndSeconds,
      peakRssBytes: ours.noChange.result.peakRssBytes,
    },
    {
      tool: "sitesync",
      phase: "1% changed",
      seconds: ours.changed.endToEndSeconds,
      peakRssBytes: ours.changed.result.peakRssBytes,
    },
    {
      tool: "sitesync",
      phase: "touch all",
      seconds: ours.touchedRun.endToEndSeconds,
      peakRssBytes: ours.touchedRun.result.peakRssBytes,
    },
  ];
  for (const p of peerResults) {
    for (const [phase, r] of [
      ["first sync", p.first],
      ["no change", p.noChange],
      ["1% changed", p.onePercent],
    ] as const) {
      if (!r) continue;
      series.push({
        tool: p.peer.name.split(" ")[0]!,
        phase,
        seconds: r.seconds ?? r.timedOutAfter,
        ...(r.timedOutAfter !== undefined ? { timedOut: true } : {}),
        ...(r.peakRssBytes !== undefined ? { peakRssBytes: r.peakRssBytes } : {}),
      });
    }
  }
  const pending = peerSetup.peers.slice(peerResults.length).map((peer) => peer.name.split(" ")[0]!);
  return { files, startedAt: startedAt.toISOString(), floorSeconds, series, ...(pending.length ? { pending } : {}) };
}

async function withCloudSide<T>(block: string, work: (cloud: CloudSide) => Promise<T>): Promise<T> {
  const noise = watchNoise(cpus().length);
  const cloud = await startCloudSide();
  try {
    return await work(cloud);
  } finally {
    await cloud.stop();
    const n = noise();
    if (n) {
      noiseByBlock.push({ block, ...n });
      log(
        `${block}: other processes used ${n.otherCpuSeconds.toFixed(1)} CPU s in ${n.wallSeconds.toFixed(0)} s ` +
          `(${(n.share * 100).toFixed(1)}% of the machine)`,
      );
    }
  }
}

async function runPeer(peer: Peer, cloud: CloudSide, t: TreeInfo): Promise<PeerResult> {
  const bucket = `bench-${peer.name.split(" ")[0]}`;
  await cloud.createBucket(bucket);
  const result: PeerResult = { peer };
  const phase = async (changed: number): Promise<PhaseResult> => {
    const before = await cloud.counters();
    const cmd = peer.command(t.root, bucket, cloud.s3Endpoint);
    const run = await runTimed(cmd.file, cmd.args, { env: cmd.env, timeoutMs: peerTimeoutS * 1000 });
    const requests = subtract(await cloud.counters(), before);
    if (!run.timedOut && run.code !== 0) {
      throw new Error(`${peer.name} exited ${run.code}: ${`${run.stderr}\n${run.stdout}`.trim().slice(-1500)}`);
    }
    return {
      ...(run.timedOut ? { timedOutAfter: peerTimeoutS } : { seconds: run.seconds }),
      requests,
      changed,
      ...(run.peakRssBytes !== undefined ? { peakRssBytes: run.peakRssBytes } : {}),
    };
  };
  try {
    result.first = await phase(t.files);
    log(
      `${peer.name} first sync: ${seconds(result.first.seconds, result.first.timedOutAfter)} s, ` +
        `${count(writes(result.first.requests))} S3 writes`,
    );
    if (result.first.timedOutAfter !== undefined) {
      result.note = `first sync stopped after ${peerTimeoutS} s (--peer-timeout); its other runs were not measured`;
      return result;
    }
    result.noChange = await phase(0);
    log(
      `${peer.name} no-change: ${seconds(result.noChange.seconds, result.noChange.timedOutAfter)} s, ` +
        `${count(s3Requests(result.noChange.requests))} S3 requests, ${writes(result.noChange.requests)} writes`,
    );
    const edited = editOnePercent(t, ++editRound);
    result.onePercent = await phase(edited);
    log(
      `${peer.name} 1% changed: ${seconds(result.onePercent.seconds, result.onePercent.timedOutAfter)} s, ` +
        `${count(writes(result.onePercent.requests))} S3 writes`,
    );
  } catch (err) {
    result.note = (err as Error).message;
    log(`${peer.name}: ${result.note}`);
  }
  return result;
}

function printReport(t: TreeInfo, s: SitesyncRun, o: typeof ours, peers: PeerResult[], notes: string[]): void {
  const sampleFiles = s.result.plan.put;
  console.log(`
== Sample site (examples/site), first sync ==
${table(
  ["", "files", "seconds", "files/s"],
  [
    ["agent only (CLI process)", count(sampleFiles), seconds(s.agentSeconds), rate(sampleFiles / s.agentSeconds)],
    [
      "end to end (agent + apply)",
      count(sampleFiles),
      seconds(s.endToEndSeconds),
      rate(sampleFiles / s.endToEndSeconds),
    ],
  ],
)}`);

  const n = t.files;
  const firstWrites = o.first.requests;
  console.log(`
== Generated tree: ${count(n)} files, ${count(t.directories)} directories, ${mib(t.bytes)} (${t.root}) ==
sitesync (the agent is the real CLI in its own process; apply runs in the cloud-side process):
${table(
  [
    "run",
    "agent s",
    "applied s",
    "files/s",
    "PostSync done s",
    "agent peak RSS",
    "S3 writes",
    "writes/changed file",
    "PostSync S3 writes",
    "DynamoDB req",
    "SQS req",
  ],
  [
    ourRow("first sync", o.first, n),
    ourRow("no change", o.noChange, 0),
    ourRow(`1% changed (${count(o.edited)})`, o.changed, o.edited),
    ourRow(`touch all (${count(o.touched)}, same bytes)`, o.touchedRun, o.touched),
  ],
)}
"applied s": agent start until every entry is applied (stack.waitForRun) — the end-to-end figure used below.
"PostSync done s": until the run's PostSync execution (listing pages, invalidations) ended, when the agent started one.
first sync, agent alone: ${rate(n / o.first.agentSeconds)} files/s \
(its own timer: ${seconds(o.first.result.seconds)} s); \
the apply handler finished ${seconds(o.first.endToEndSeconds - o.first.agentSeconds)} s after the agent exited.
first sync S3 requests: ${JSON.stringify(firstWrites.s3)}; DynamoDB: ${JSON.stringify(firstWrites.dynamodbOps)}; \
cloud-side RSS at the end ${mib(o.cloudRss)}.
floor (find, every file's size, mtime, ctime and inode): ${seconds(floorSeconds)} s; \
no-change run ${ratio(o.noChange.endToEndSeconds, floorSeconds)} the floor (target: at most 3×).
touch all: ${count(writes(o.touchedRun.requests))} S3 writes \
(${(writes(o.touchedRun.requests) / Math.max(1, o.touched)).toFixed(3)} per file), \
${count(o.touchedRun.requests.invalidationPaths)} invalidation paths, \
${count(o.touchedRun.result.publish?.entriesSent ?? 0)} manifest entries; \
${ratio(o.touchedRun.endToEndSeconds, o.first.endToEndSeconds)} the first sync's time.
agent peak RSS per file: first sync ${perFile(o.first.result.peakRssBytes, n)}, \
no change ${perFile(o.noChange.result.peakRssBytes, n)}, touch all ${perFile(o.touchedRun.result.peakRssBytes, n)} \
(target: at most 300 MB, flat in the tree's size).`);
  checkSitesync(o, n);

  const rows: string[][] = [
    row(
      `sitesync (agent + apply)${[o.first, o.noChange, o.changed].some((r) => r.failures.length > 0) ? " *" : ""}`,
      { seconds: o.first.endToEndSeconds, changed: n },
      { seconds: o.noChange.endToEndSeconds, changed: 0 },
      { seconds: o.changed.endToEndSeconds, changed: o.edited },
      o.first.result.peakRssBytes,
      o.noChange.result.peakRssBytes,
      o.changed.requests,
    ),
  ];
  for (const p of peers) {
    rows.push(
      row(
        p.peer.name,
        p.first,
        p.noChange,
        p.onePercent,
        p.first?.peakRssBytes,
        p.noChange?.peakRssBytes,
        p.onePercent?.requests,
      ),
    );
  }
  console.log(`
== sitesync and peers on the same tree, same local S3 server (fauxqs) ==
${table(
  [
    "tool",
    "first sync s",
    "files/s",
    "no-change s",
    "1% changed s",
    "S3 writes/changed file",
    "peak RSS first / no-change",
  ],
  rows,
)}`);

  if (peers.length > 0) {
    const ratioRows = peers.map((p) => [
      p.peer.name,
      ratio(p.first?.seconds ?? p.first?.timedOutAfter, o.first.endToEndSeconds, p.first?.timedOutAfter !== undefined),
      ratio(
        p.noChange?.seconds ?? p.noChange?.timedOutAfter,
        o.noChange.endToEndSeconds,
        p.noChange?.timedOutAfter !== undefined,
      ),
      ratio(
        p.onePercent?.seconds ?? p.onePercent?.timedOutAfter,
        o.changed.endToEndSeconds,
        p.onePercent?.timedOutAfter !== undefined,
      ),
      p.noChange?.requests ? count(s3Requests(p.noChange.requests)) : "—",
    ]);
    console.log(`
Ratios: peer time ÷ sitesync time (above 1× sitesync is faster; sitesync end to end, apply included).
${table(["peer", "first sync", "no change", "1% changed", "peer S3 requests, no change"], ratioRows)}
sitesync's no-change run made ${count(s3Requests(o.noChange.requests))} S3 requests \
and ${count(o.noChange.requests.dynamodb)} DynamoDB requests (it reads its index, never the bucket).`);
  }
  console.log("\nPeers, versions and flags:");
  for (const p of peers)
    console.log(`  ${p.peer.name} ${p.peer.version}: ${p.peer.flags}${p.note ? `\n    note: ${p.note}` : ""}`);
  for (const note of notes) console.log(`  note: ${note}`);
  console.log(
    "  each tool ran against a fresh in-memory fauxqs (listing cost grows with the bucket); " +
      `peer timeout ${peerTimeoutS} s per run`,
  );
  console.log("\nOther processes on the machine while each block ran (CPU seconds; share of both cores):");
  for (const n of noiseByBlock) {
    const flag = n.share > 0.05 ? "  <- not quiet: these figures are slowed by other work" : "";
    console.log(
      `  ${n.block.padEnd(12)} ${n.otherCpuSeconds.toFixed(1).padStart(7)} s ` +
        `over ${n.wallSeconds.toFixed(0).padStart(4)} s  ${(n.share * 100).toFixed(1).padStart(5)}%${flag}`,
    );
  }
}

function ourRow(name: string, r: SitesyncRun, changed: number): string[] {
  const w = writes(r.requests);
  return [
    r.failures.length > 0 ? `${name} *` : name,
    seconds(r.agentSeconds),
    seconds(r.endToEndSeconds),
    changed > 0 ? rate(changed / r.endToEndSeconds) : "—",
    r.postSyncSeconds !== undefined
      ? `${seconds(r.postSyncSeconds)}${r.postSyncStatus === "SUCCEEDED" ? "" : ` (${r.postSyncStatus})`}`
      : "—",
    mib(r.result.peakRssBytes),
    count(w),
    changed > 0 ? (w / changed).toFixed(3) : "—",
    r.postSyncRequests ? count(writes(r.postSyncRequests)) : "—",
    count(r.requests.dynamodb),
    count(r.requests.sqs),
  ];
}

function row(
  name: string,
  first: PhaseResult | undefined,
  noChange: PhaseResult | undefined,
  onePercent: PhaseResult | undefined,
  rssFirst: number | undefined,
  rssNoChange: number | undefined,
  changedRequests: Counters | undefined,
): string[] {
  return [
    name,
    seconds(first?.seconds, first?.timedOutAfter),
    first?.seconds !== undefined
      ? rate(first.changed / first.seconds)
      : first?.timedOutAfter !== undefined
        ? `< ${rate(first.changed / first.timedOutAfter)}`
        : "—",
    seconds(noChange?.seconds, noChange?.timedOutAfter),
    seconds(onePercent?.seconds, onePercent?.timedOutAfter),
    onePercent && changedRequests ? (writes(changedRequests) / onePercent.changed).toFixed(3) : "—",
    `${mib(rssFirst)} / ${mib(rssNoChange)}`,
  ];
}

/** Not assertions: warnings when a figure would be meaningless because the run did not do the work. */
function checkSitesync(o: typeof ours, n: number): void {
  const siteWrites = (c: Counters) => (c.s3.PutObject ?? 0) + (c.s3.CopyObject ?? 0);
  const problems: string[] = [];
  if (o.first.result.plan.put !== n)
    problems.push(`first sync planned ${o.first.result.plan.put} uploads for ${n} files`);
  if (o.noChange.result.plan.put + o.noChange.result.plan.delete !== 0)
    problems.push("the no-change run found changes");
  if (o.changed.result.plan.put !== o.edited)
    problems.push(`the 1% run planned ${o.changed.result.plan.put} uploads for ${o.edited} edited files`);
  for (const [phase, r] of [
    ["sample site", sample],
    ["first sync", o.first],
    ["no-change run", o.noChange],
    ["1% run", o.changed],
  ] as const) {
    if (r.failures.length > 0) {
      problems.push(
        `* ${phase}: the agent exited 1 ${r.failures.length} time(s) and was run again as cron would ` +
          `(times include the failed attempts): ${r.failures.join("; ")}`,
      );
    }
  }
  for (const [phase, r] of [
    ["first sync", o.first],
    ["1% run", o.changed],
  ] as const) {
    if (r.postSyncStatus !== undefined && r.postSyncStatus !== "SUCCEEDED") {
      problems.push(
        `${phase}: PostSync ended ${r.postSyncStatus} (${r.postSyncError ?? "no detail"}), ` +
          "so its listing pages and invalidations were not made",
      );
    }
  }
  if (o.first.requests.applyErrors + o.changed.requests.applyErrors > 0)
    problems.push("the apply handler reported errors (see stderr)");
  if (siteWrites(o.first.requests) < n)
    problems.push(`only ${siteWrites(o.first.requests)} object writes reached S3 for ${n} files`);
  for (const p of problems) console.log(`  WARNING: ${p}`);
}

// Plans the agent left behind if a run was killed would only confuse the next bench.
process.on("exit", () => rmSync(join(benchDir, "run"), { recursive: true, force: true }));

function writeSummary(dir: string, summary: BenchSummary): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${summary.files}.json`);
  writeFileSync(path, `${JSON.stringify(summary, null, 2)}\n`);
  return path;
}

function perFile(bytes: number | undefined, files: number): string {
  return bytes === undefined ? "—" : `${mib(bytes)} (${Math.round(bytes / files)} B/file)`;
}
