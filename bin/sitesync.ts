#!/usr/bin/env -S node --max-old-space-size=128
// The sitesync command. Everything lives in agent/cli.ts; this file decides where it runs (agent/heap.ts):
// in this thread when the process started with a heap cap, as this file's first line starts it, else in a
// worker thread whose heap is capped; and sets the exit code.
//
// No compile cache (node:module enableCompileCache): the file that starts a process is compiled before any
// of its code runs, and loading the agent a second time as a cached module measured no faster (0.87 s
// against 0.89 s of CPU for a no-change run of the sample site).
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { agentThread, DEFAULT_HEAP_MB } from "../agent/heap.ts";

interface AgentThreadData {
  argv: string[];
  stdoutIsTTY: boolean;
  stderrIsTTY: boolean;
  stdoutColumns?: number;
  /** The progress line's terminal (stderr) may be a terminal while stdout is piped. */
  stderrColumns?: number;
}

if (isMainThread) {
  const thread = agentThread(process.execArgv, process.env.SITESYNC_HEAP_MB);
  if (thread.where === "this-thread") {
    const { main } = await import("../agent/cli.ts");
    process.exitCode = await main(process.argv.slice(2));
  } else startWorker(thread.heapMb);
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

function startWorker(heapMb: number | undefined): void {
  const data: AgentThreadData = {
    argv: process.argv.slice(2),
    stdoutIsTTY: process.stdout.isTTY === true,
    stderrIsTTY: process.stderr.isTTY === true,
    ...(process.stdout.columns ? { stdoutColumns: process.stdout.columns } : {}),
    ...(process.stderr.columns ? { stderrColumns: process.stderr.columns } : {}),
  };
  const agent = new Worker(new URL(import.meta.url), {
    workerData: data,
    ...(heapMb !== undefined ? { resourceLimits: { maxOldGenerationSizeMb: heapMb } } : {}),
  });
  // Signals reach the main thread only. The first Ctrl-C goes to the command (a restore stops cleanly);
  // a second one, or SIGTERM, ends the process at once, as they would without the worker.
  process.once("SIGINT", () => agent.postMessage("SIGINT"));
  agent.on("error", (error: Error & { code?: string }) => {
    // Ended like a killed run, which the next run completes; say what to change so that it can.
    if (error.code === "ERR_WORKER_OUT_OF_MEMORY") {
      const had = heapMb ?? DEFAULT_HEAP_MB;
      console.error(
        `sitesync: the agent needed more than its ${had} MiB heap (a directory of hundreds of thousands of ` +
          `files?); run it with SITESYNC_HEAP_MB=${had * 4} in its environment`,
      );
    } else console.error(error);
    process.exitCode = 1;
  });
  agent.on("exit", (code) => {
    process.exitCode ??= code;
  });
}
