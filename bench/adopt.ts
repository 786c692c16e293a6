// Adoption rate: how many bucket keys per second `sitesync adopt` lists, compares with the tree and indexes.
//
//   node bench/adopt.ts [--keys N] [--concurrency C]      (default 100,000 keys)
//
// The bucket is pre-filled, as another tool would have filled it, with N small objects (100 per directory,
// in 10 sections) copied from a matching tree, which is generated once under .bench/ and reused. The local
// servers run in a process of their own (bench/cloud-side.ts), so the servers' CPU time is not charged to
// the agent. The figure is what the lead's note quotes; timings are printed, never asserted.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { runAdopt } from "../agent/adopt/adopt.ts";
import { parseConfig } from "../agent/config.ts";
import { createAwsClients } from "../aws/clients.ts";
import { createLogger } from "../core/logger.ts";
import { startCloudSide } from "./cloud.ts";

export interface AdoptBenchOptions {
  keys: number;
  /** Directories adopted at once (default: adopt's own). */
  concurrency?: number;
  log?: (line: string) => void;
}

export interface AdoptBenchResult {
  keys: number;
  directories: number;
  fillSeconds: number;
  adoptSeconds: number;
  keysPerSecond: number;
  matched: number;
}

const FILES_PER_DIRECTORY = 100;
const FILL_CONCURRENCY = 64;
const benchDir = join(dirname(fileURLToPath(import.meta.url)), "..", ".bench");

/** Site-relative paths of the bench tree: s<section>/d<dir>/f<i>.html, names in [a-z0-9./] only. */
function treePaths(keys: number): string[] {
  return Array.from({ length: keys }, (_, i) => {
    const dir = Math.floor(i / FILES_PER_DIRECTORY);
    return `s${dir % 10}/d${String(dir).padStart(5, "0")}/f${String(i).padStart(7, "0")}.html`;
  });
}

const contentOf = (i: number): string => `<p>file ${i}</p>\n`.padEnd(64 + (i % 128), "·");

/** Writes the tree once (reused while its marker matches), FILL_CONCURRENCY files at a time. */
async function ensureAdoptTree(keys: number, log: (line: string) => void): Promise<{ root: string; paths: string[] }> {
  const root = join(benchDir, `adopt-tree-${keys}`);
  const marker = `${root}.json`;
  const paths = treePaths(keys);
  if (existsSync(marker) && JSON.parse(readFileSync(marker, "utf8")).keys === keys) return { root, paths };
  log(`writing a tree of ${keys} files under ${root} (once)`);
  rmSync(root, { recursive: true, force: true });
  let next = 0;
  await Promise.all(
    Array.from({ length: FILL_CONCURRENCY }, async () => {
      while (next < paths.length) {
        const i = next++;
        const path = join(root, paths[i]!);
        await mkdir(dirname(path), { recursive: true });
        await writeFile(path, contentOf(i));
      }
    }),
  );
  writeFileSync(marker, JSON.stringify({ keys }));
  return { root, paths };
}

export async function benchAdopt(options: AdoptBenchOptions): Promise<AdoptBenchResult> {
  const log = options.log ?? ((line: string) => console.log(`· ${line}`));
  mkdirSync(benchDir, { recursive: true });
  const tree = await ensureAdoptTree(options.keys, log);
  const cloud = await startCloudSide();
  const settings = cloud.settings as {
    region: string;
    endpoints: { s3: string; dynamodb: string; sqs: string };
    credentials: { accessKeyId: string; secretAccessKey: string };
  };
  const clients = createAwsClients({
    region: settings.region,
    endpoints: settings.endpoints,
    credentials: settings.credentials,
    maxSockets: FILL_CONCURRENCY,
  });
  const stateDir = join(benchDir, "adopt-state");
  rmSync(stateDir, { recursive: true, force: true });
  try {
    log(
      `copying ${options.keys} objects into s3://${cloud.siteBucket} ` +
        `(${FILL_CONCURRENCY} at once), as another tool would`,
    );
    const fillStarted = Date.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: FILL_CONCURRENCY }, async () => {
        while (next < tree.paths.length) {
          const i = next++;
          await clients.s3.send(
            new PutObjectCommand({ Bucket: cloud.siteBucket, Key: tree.paths[i]!, Body: contentOf(i) }),
          );
        }
      }),
    );
    const fillSeconds = (Date.now() - fillStarted) / 1000;
    log(`copied in ${fillSeconds.toFixed(1)} s; adopting`);

    const config = parseConfig({ root: tree.root, stateDir, ...cloud.settings }, "bench config", "/");
    const result = await runAdopt(
      config,
      clients,
      createLogger({ level: "warn" }),
      options.concurrency ? { concurrency: options.concurrency } : {},
    );
    if (result.matched !== options.keys) throw new Error(`adoption matched ${result.matched} of ${options.keys} keys`);
    return {
      keys: result.listed,
      directories: result.directories,
      fillSeconds,
      adoptSeconds: result.seconds,
      keysPerSecond: result.keysPerSecond,
      matched: result.matched,
    };
  } finally {
    clients.destroy();
    await cloud.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: { keys: { type: "string", default: "100000" }, concurrency: { type: "string" } },
  });
  const keys = Number(values.keys);
  const concurrency = values.concurrency === undefined ? undefined : Number(values.concurrency);
  if (
    !Number.isInteger(keys) ||
    keys < 1 ||
    (concurrency !== undefined && (!Number.isInteger(concurrency) || concurrency < 1))
  ) {
    console.error("usage: node bench/adopt.ts [--keys N] [--concurrency C]");
    process.exit(2);
  }
  const r = await benchAdopt({ keys, ...(concurrency ? { concurrency } : {}) });
  console.log(
    `adopt: ${r.keys} keys in ${r.directories} directories in ${r.adoptSeconds.toFixed(1)} s ` +
      `= ${Math.round(r.keysPerSecond)} keys/s ` +
      `(bucket filled in ${r.fillSeconds.toFixed(1)} s)`,
  );
}
