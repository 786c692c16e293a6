// Runs the sitesync command as cron does: a child process, its exit code and its output.
import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const CLI = join(dirname(fileURLToPath(import.meta.url)), "../../bin/sitesync.ts");

/** The account "nobody": permission bits stop its reads, as they do not stop root's (CI runs as root). */
export const UNPRIVILEGED = { uid: 65534, gid: 65534 };

export interface CliOptions {
  /** Run as an unprivileged user when this process is root (otherwise as this user, already unprivileged). */
  unprivileged?: boolean;
  /** The script to run instead of bin/sitesync.ts: the single-file bundle bin/build-agent.ts makes. */
  entry?: string;
  /** Variables added to this process's environment. */
  env?: Record<string, string>;
}

export function runCli(
  args: string[],
  options: CliOptions = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const asUser = options.unprivileged && process.getuid?.() === 0 ? UNPRIVILEGED : {};
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [options.entry ?? CLI, ...args], {
      stdio: ["ignore", "pipe", "pipe"],
      ...(options.env ? { env: { ...process.env, ...options.env } } : {}),
      ...asUser,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}
