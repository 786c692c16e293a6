// Runs one command as a child process and times it from spawn to exit, with a timeout and its peak memory.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TimedResult {
  code: number | null;
  seconds: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** Peak resident memory of the command, from GNU time, when it is installed. */
  peakRssBytes?: number;
}

export interface TimedOptions {
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  cwd?: string;
}

const GNU_TIME = "/usr/bin/time";
const KEEP = 64 * 1024;

export function runTimed(command: string, args: string[], options: TimedOptions = {}): Promise<TimedResult> {
  const useTime = existsSync(GNU_TIME);
  const scratch = useTime ? mkdtempSync(join(tmpdir(), "sitesync-bench-")) : undefined;
  const rssFile = scratch ? join(scratch, "rss") : undefined;
  const [file, argv] = rssFile ? [GNU_TIME, ["-o", rssFile, "-f", "%M", command, ...args]] : [command, args];
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    // Its own process group, so a timeout ends the command and GNU time together, and nothing else.
    const child = spawn(file, argv, {
      env: options.env ?? process.env,
      cwd: options.cwd,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout = (stdout + d.toString()).slice(-KEEP)));
    child.stderr.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-KEEP)));
    let timedOut = false;
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            try {
              process.kill(-child.pid!, "SIGKILL");
            } catch {
              // already gone
            }
          }, options.timeoutMs);
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      let peakRssBytes: number | undefined;
      if (rssFile && existsSync(rssFile)) {
        // GNU time reports kilobytes; on a signal it prints a "Command terminated" line before the figure.
        const kb = Number(readFileSync(rssFile, "utf8").trim().split("\n").pop());
        if (Number.isFinite(kb) && kb > 0) peakRssBytes = kb * 1024;
      }
      if (scratch) rmSync(scratch, { recursive: true, force: true });
      resolve({ code, seconds, stdout, stderr, timedOut, ...(peakRssBytes !== undefined ? { peakRssBytes } : {}) });
    });
  });
}
