// Starts the local stand-ins for S3 + SQS (fauxqs) and DynamoDB (dynalite) inside this process, listening on
// loopback only, so the product's real code runs against them through the same SDK clients it uses in AWS.
import { createRequire } from "node:module";
import { join } from "node:path";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { buildApp, type BuildAppOptions } from "fauxqs";
import { startServerProcess, type ServerProcessOptions } from "./server-process.ts";
import type { AwsClientConfig } from "../aws/clients.ts";
import { acquireLock } from "../agent/lock.ts";
import { silentLogger } from "../core/logger.ts";

export interface LocalServersOptions {
  /** Directory for persisted state; without it everything lives in memory and is gone after stop(). */
  dataDir?: string;
  /** Port for S3 and SQS (one fauxqs server serves both); 0 picks a free port. */
  s3Port?: number;
  /** Port for DynamoDB; 0 picks a free port. */
  dynamoPort?: number;
  /**
   * Runs S3, SQS and DynamoDB each in a process of its own (local/server-process.ts) instead of in this one.
   * For large trees: three event loops and three heaps instead of one, so a million objects' GC and one
   * service's load do not stall the others. In memory only.
   */
  processes?: ServerProcessOptions;
}

export interface LocalServers {
  endpoints: { s3: string; sqs: string; dynamodb: string };
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  clientConfig: AwsClientConfig;
  /** What each server process's observer module reports (empty when the servers run in this process). */
  observe(): Promise<unknown[]>;
  stop(): Promise<void>;
}

const HOST = "127.0.0.1";
/**
 * How long an idle keep-alive connection stays open. Node's default (5 s) races the SDK's reuse of an idle
 * socket: on a busy machine a request written as the server closes fails with "socket hang up", and enough of
 * them spend the SDK's retry quota, so a first sync of 20,000 files saw entries fail. Stopping closes them all.
 */
const KEEP_ALIVE_MS = 10 * 60_000;
const REGION = "us-east-1";
// The local servers accept any signature; static values keep the SDK away from the default provider chain.
const CREDENTIALS = { accessKeyId: "local", secretAccessKey: "local" };

export async function startLocalServers(options: LocalServersOptions = {}): Promise<LocalServers> {
  if (options.processes) return startServerProcesses(options.processes);
  const dataDir = options.dataDir;
  const dir = (name: string) => (dataDir === undefined ? undefined : join(dataDir, name));
  // Two servers on one data directory would corrupt it, and dynalite only finds its LevelDB locked at the first
  // request, by throwing where nothing can catch it. A lock left by a dead process is simply taken over.
  const lock = dataDir === undefined ? undefined : acquireLock(dataDir, "local servers", silentLogger);
  let fauxqs: FauxqsOnLoopback;
  let dynalite: Server;
  try {
    fauxqs = await startFauxqsOnLoopback(options.s3Port ?? 0, dir("fauxqs"));
  } catch (err) {
    lock?.release();
    throw err;
  }
  try {
    dynalite = await startDynaliteOnLoopback(options.dynamoPort ?? 0, dir("dynalite"));
  } catch (err) {
    await fauxqs.close();
    lock?.release();
    throw err;
  }
  const fauxqsUrl = `http://${HOST}:${portOf(fauxqs.server)}`;
  const endpoints = { s3: fauxqsUrl, sqs: fauxqsUrl, dynamodb: `http://${HOST}:${portOf(dynalite)}` };
  let stopping: Promise<void> | undefined;
  return {
    endpoints,
    region: REGION,
    credentials: CREDENTIALS,
    clientConfig: { region: REGION, endpoints, credentials: CREDENTIALS },
    observe: async () => [],
    stop() {
      stopping ??= Promise.allSettled([fauxqs.close(), closeDynalite(dynalite)]).then((results) => {
        lock?.release();
        const errors = results.flatMap((r) => (r.status === "rejected" ? [r.reason] : []));
        if (errors.length > 0) throw new AggregateError(errors, "stopping the local servers failed");
      });
      return stopping;
    },
  };
}

type FauxqsStores = NonNullable<BuildAppOptions["stores"]>;
type FauxqsPersistence = NonNullable<FauxqsStores["sqsStore"]["persistence"]>;

interface FauxqsInternals {
  SqsStore: new () => FauxqsStores["sqsStore"];
  SnsStore: new () => FauxqsStores["snsStore"];
  S3Store: new () => FauxqsStores["s3Store"];
  PersistenceManager: new (dataDir: string) => FauxqsPersistence;
}

// startFauxqs() always binds 0.0.0.0, and only it knows how to attach SQLite persistence. So we do what it does
// with its own store and persistence classes (not exported, hence loaded beside the package entry), hand them to
// the exported buildApp(), and bind the app to loopback ourselves. Checked against fauxqs 2.4.1's startFauxqs.
async function loadFauxqsInternals(): Promise<FauxqsInternals> {
  const entry = import.meta.resolve("fauxqs");
  const load = async (path: string): Promise<Record<string, unknown>> => import(new URL(path, entry).href);
  const [sqs, sns, s3, persistence] = await Promise.all([
    load("./sqs/sqsStore.js"),
    load("./sns/snsStore.js"),
    load("./s3/s3Store.js"),
    load("./persistence.js"),
  ]);
  const internals = {
    SqsStore: sqs.SqsStore,
    SnsStore: sns.SnsStore,
    S3Store: s3.S3Store,
    PersistenceManager: persistence.PersistenceManager,
  };
  for (const [name, value] of Object.entries(internals)) {
    if (typeof value !== "function")
      throw new Error(`fauxqs no longer provides ${name} where local/servers.ts expects it`);
  }
  return internals as FauxqsInternals;
}

export interface FauxqsOnLoopback {
  server: Server;
  close(): Promise<void>;
}

export async function startFauxqsOnLoopback(port: number, dataDir: string | undefined): Promise<FauxqsOnLoopback> {
  const { SqsStore, SnsStore, S3Store, PersistenceManager } = await loadFauxqsInternals();
  const stores = { sqsStore: new SqsStore(), snsStore: new SnsStore(), s3Store: new S3Store() };
  const persistence = dataDir === undefined ? undefined : new PersistenceManager(dataDir);
  if (persistence) {
    // Load before attaching, as startFauxqs does: attaching first would write every loaded row back.
    persistence.load(stores.sqsStore, stores.snsStore, stores.s3Store);
    stores.sqsStore.persistence = persistence;
    stores.snsStore.persistence = persistence;
    stores.s3Store.persistence = persistence;
    for (const queue of stores.sqsStore.allQueues()) queue.persistence = persistence;
  }
  const app = buildApp({ logger: false, defaultRegion: REGION, stores });
  if (persistence) app.addHook("preClose", () => persistence.close());
  try {
    await app.listen({ port, host: HOST });
  } catch (err) {
    await app.close();
    throw err;
  }
  app.server.keepAliveTimeout = KEEP_ALIVE_MS;
  return { server: app.server, close: () => app.close() };
}

interface DynaliteOptions {
  path?: string;
  createTableMs: number;
  deleteTableMs: number;
  updateTableMs: number;
}

// dynalite is CommonJS without type declarations.
const requireCjs = createRequire(import.meta.url);
const dynaliteFactory = requireCjs("dynalite") as (options: DynaliteOptions) => Server;

export async function startDynaliteOnLoopback(port: number, path: string | undefined): Promise<Server> {
  // Tables are ACTIVE at once: the product waits for ACTIVE anyway, and tests should not pay 500 ms per table.
  const server = dynaliteFactory({ ...(path ? { path } : {}), createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  server.keepAliveTimeout = KEEP_ALIVE_MS;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, HOST, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return server;
}

export function closeDynalite(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    // dynalite's close() also closes its LevelDB, which must happen before another process opens the same path.
    server.close((err?: Error) => (err ? reject(err) : resolve()));
    // Keep-alive sockets of SDK clients would otherwise hold close() open until they time out.
    server.closeAllConnections();
  });
}

async function startServerProcesses(options: ServerProcessOptions): Promise<LocalServers> {
  const children = await Promise.all(
    (["s3", "sqs", "dynamodb"] as const).map((service) => startServerProcess(service, options)),
  );
  const [s3, sqs, dynamodb] = children.map((c) => `http://${HOST}:${c.port}`) as [string, string, string];
  const endpoints = { s3, sqs, dynamodb };
  let stopping: Promise<void> | undefined;
  return {
    endpoints,
    region: REGION,
    credentials: CREDENTIALS,
    clientConfig: { region: REGION, endpoints, credentials: CREDENTIALS },
    observe: () => Promise.all(children.map((c) => c.observe())),
    stop: () => (stopping ??= Promise.all(children.map((c) => c.stop())).then(() => undefined)),
  };
}

export function portOf(server: Server): number {
  return (server.address() as AddressInfo).port;
}
