#!/usr/bin/env node
// The sitesync command. Everything lives in agent/cli.ts; this file runs it in a worker thread whose heap
// is capped, and sets the exit code.
//
// Why a worker: V8 sizes a process's heap from the machine's memory (4 GiB here) and collects lazily, so
// an agent whose live heap is ~30 MB let its garbage, and the file buffers that garbage held, grow with
// the tree (430 MiB RSS at 100,000 files). A heap cap is a start-up flag that a cron line or `node
// sitesync.mjs` would have to repeat; a worker's resourceLimits set it from here, in the same process
// (so the process's RSS is the agent's), with the terminal and signals passed through as below.
import { enableCompileCache } from "node:module";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";

/**
 * The worker's old generation, MiB: four times the agent's live heap on a site of small directories
 * (~30 MB); a directory of a few hundred thousand files needs more: SITESYNC_HEAP_MB.
 */
const DEFAULT_HEAP_MB = 128;

interface AgentThreadData {
  argv: string[];
  stdoutIsTTY: boolean;
  stderrIsTTY: boolean;
  stdoutColumns?: number;
  /** The progress line's terminal (stderr) may be a terminal while stdout is piped. */
  stderrColumns?: number;
}

if (isMainThread) {
  // V8's compiled code of the agent, kept between runs (in the system's temporary folder, per Node version):
  // the worker then starts without compiling the bundle again, a second or more of a cron run on a busy host.
  enableCompileCache();
  const heapMb = Number(process.env.SITESYNC_HEAP_MB ?? DEFAULT_HEAP_MB);
  const data: AgentThreadData = {
    argv: process.argv.slice(2),
    stdoutIsTTY: process.stdout.isTTY === true,
    stderrIsTTY: process.stderr.isTTY === true,
    ...(process.stdout.columns ? { stdoutColumns: process.stdout.columns } : {}),
    ...(process.stderr.columns ? { stderrColumns: process.stderr.columns } : {}),
  };
  const agent = new Worker(new URL(import.meta.url), {
    workerData: data,
    ...(Number.isFinite(heapMb) && heapMb > 0 ? { resourceLimits: { maxOldGenerationSizeMb: heapMb } } : {}),
  });
  // Signals reach the main thread only. The first Ctrl-C goes to the command (a restore stops cleanly);
  // a second one, or SIGTERM, ends the process at once, as they would without the worker.
  process.once("SIGINT", () => agent.postMessage("SIGINT"));
  agent.on("error", (error: Error & { code?: string }) => {
    // Ended like a killed run, which the next run completes; say what to change so that it can.
    if (error.code === "ERR_WORKER_OUT_OF_MEMORY") {
      console.error(
        `sitesync: the agent needed more than its ${heapMb} MiB heap (a directory of hundreds of thousands of ` +
          `files?); run it with SITESYNC_HEAP_MB=${heapMb * 4} in its environment`,
      );
    } else console.error(error);
    process.exitCode = 1;
  });
  agent.on("exit", (code) => {
    process.exitCode ??= code;
  });
} else {
  const data = workerData as AgentThreadData;
  // The streams of a worker are pipes to the main thread: say what the real ones are, so output is for a
  // person on a terminal and JSON lines elsewhere, as without the worker.
  Object.assign(process.stdout, { isTTY: data.stdoutIsTTY, columns: data.stdoutColumns });
  Object.assign(process.stderr, { isTTY: data.stderrIsTTY, columns: data.stderrColumns });
  parentPort?.on("message", (signal: string) => {
    if (process.listenerCount(signal) > 0) process.emit(signal as NodeJS.Signals, signal as NodeJS.Signals);
    else process.exit(130);
  });
  parentPort?.unref();
  const { main } = await import("../agent/cli.ts");
  process.exitCode = await main(data.argv);
}
