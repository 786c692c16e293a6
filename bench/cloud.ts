// The bench's handle on a cloud-side process (bench/cloud-side.ts): start it, ask it things, stop it.
import { spawn, type ChildProcess } from "node:child_process";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { PublishRules } from "../core/publish-rules.ts";
import type { FaultOptions } from "../local/fault-proxy.ts";
import { profileFlags } from "./profile.ts";
import type { Command, Counters, WaitResult } from "./protocol.ts";

export type { Counters } from "./protocol.ts";
export { S3_WRITE_OPS } from "./protocol.ts";

export interface CloudSide {
  pid: number;
  /** Agent settings (endpoints, bucket, table, queue) for a config file pointed at this cloud side. */
  settings: Record<string, unknown>;
  s3Endpoint: string;
  siteBucket: string;
  /** The servers' own endpoints, around any fault proxy (settings point at the proxies when there are faults). */
  directEndpoints: { s3: string; sqs: string; dynamodb: string };
  publishRules: PublishRules;
  /** Resolves once every entry of the run has been applied, and then its PostSync execution (if named) has ended. */
  waitForRun(runId: string, postSyncExecutionArn: string | undefined, timeoutMs: number): Promise<WaitResult>;
  counters(): Promise<Counters>;
  createBucket(name: string): Promise<void>;
  stop(): Promise<void>;
}

const ENTRY = join(dirname(fileURLToPath(import.meta.url)), "cloud-side.ts");

type Distribute<T> = T extends unknown ? Omit<T, "id"> : never;

export interface CloudSideOptions {
  /** Fault proxies in front of the servers, for every client but the checks' (the soak). */
  faults?: FaultOptions;
  /** The manifest queue's visibility timeout instead of the deployed one (a failed batch waits it out). */
  visibilityTimeoutSeconds?: number;
}

export async function startCloudSide(options: CloudSideOptions = {}): Promise<CloudSide> {
  const args = [
    ...(options.faults ? ["--faults", `${options.faults.share}:${options.faults.seed}`] : []),
    ...(options.visibilityTimeoutSeconds ? ["--visibility-timeout", String(options.visibilityTimeoutSeconds)] : []),
  ];
  // A generous heap: dynalite keeps the whole index (and its history items) in memory.
  const child = spawn(
    process.execPath,
    ["--disable-warning=ExperimentalWarning", "--max-old-space-size=6144", ...profileFlags("cloud"), ENTRY, ...args],
    {
      stdio: ["pipe", "pipe", "pipe"],
    },
  );
  const pending = new Map<number, { resolve: (m: Record<string, unknown>) => void; reject: (e: Error) => void }>();
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
    process.stderr.write(d);
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  let ready: (m: Record<string, unknown>) => void;
  let failed: (e: Error) => void;
  const readyMessage = new Promise<Record<string, unknown>>((resolve, reject) => {
    ready = resolve;
    failed = reject;
  });
  void exited.then((code) => {
    const err = new Error(`the cloud-side process exited (code ${code}): ${stderr.trim().slice(-1000)}`);
    failed(err);
    for (const p of pending.values()) p.reject(err);
    pending.clear();
  });
  createInterface({ input: child.stdout! }).on("line", (line) => {
    const message = JSON.parse(line) as Record<string, unknown>;
    if (message.type === "ready") return ready(message);
    const waiter = pending.get(message.id as number);
    if (!waiter) return;
    pending.delete(message.id as number);
    if (message.ok) waiter.resolve(message);
    else waiter.reject(new Error(String(message.error)));
  });

  const start = await readyMessage;
  let nextId = 1;
  const ask = (command: Distribute<Command>): Promise<Record<string, unknown>> =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      child.stdin!.write(`${JSON.stringify({ ...command, id })}\n`);
    });

  return {
    pid: start.pid as number,
    settings: start.settings as Record<string, unknown>,
    s3Endpoint: start.s3Endpoint as string,
    siteBucket: start.siteBucket as string,
    directEndpoints: start.directEndpoints as CloudSide["directEndpoints"],
    publishRules: start.publishRules as PublishRules,
    waitForRun: async (runId, postSyncExecutionArn, timeoutMs) =>
      (await ask({
        cmd: "wait",
        runId,
        timeoutMs,
        ...(postSyncExecutionArn ? { postSyncExecutionArn } : {}),
      })) as unknown as WaitResult,
    counters: async () => (await ask({ cmd: "counters" })).counters as Counters,
    createBucket: async (name) => void (await ask({ cmd: "bucket", name })),
    async stop() {
      if (child.exitCode === null) {
        await ask({ cmd: "stop" }).catch(() => {});
        await stopChild(child, exited);
      }
    },
  };
}

/** Waits for the exit; a cloud side that hangs is ended by its pid (only this child, which the bench started). */
async function stopChild(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
}
