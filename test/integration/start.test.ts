// `npm start` as the README runs it (node local/start.ts), its output in a pipe: the human summary with no
// JSON line in it, the agent's own memory figure (the agent runs in a process of its own, not beside the
// servers), and the servers' and apply handler's log lines in .local/logs/ instead of the terminal.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const START = join(dirname(fileURLToPath(import.meta.url)), "../../local/start.ts");

/** A port nothing listens on now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

function runStart(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--disable-warning=ExperimentalWarning", START], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, ...env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

test("npm start: a human summary with no JSON, the agent's own peak memory, the servers' logs in a file", async () => {
  const dir = mkdtempSync(join(tmpdir(), "sitesync-start-"));
  try {
    const run = await runStart({
      SITESYNC_LOCAL_DIR: dir,
      SITESYNC_LOCAL_S3_PORT: String(await freePort()),
      SITESYNC_LOCAL_DYNAMODB_PORT: String(await freePort()),
    });
    assert.equal(run.code, 0, run.stderr + run.stdout);
    const lines = run.stdout.split("\n");
    for (const line of [...lines, ...run.stderr.split("\n")]) {
      assert.ok(!line.trimStart().startsWith("{"), `a JSON line in npm start's output: ${line}`);
    }
    assert.match(run.stdout, /^Run \d{8}T\d{9}Z-[0-9a-f]{6}$/m);
    assert.match(run.stdout, /^ {2}applied {3}274 entries in [\d.]+ s by the apply handler/m);
    assert.match(run.stdout, /^Published: 433 objects/m);
    // The agent's process holds its worker (a 128 MiB heap cap) and little else; the process that also
    // runs the servers, the apply handler and the workflows peaked above 600 MiB for this site.
    const peak = /^ {2}scanned {3}274 files .* peak memory ([\d.]+) MiB \(the agent's process\)$/m.exec(run.stdout);
    assert.ok(peak, run.stdout);
    assert.ok(Number(peak[1]) < 400, `peak memory ${peak[1]} MiB`);

    assert.match(run.stdout, /the servers' and apply handler's logs: .*logs\/servers\.log/);
    const serversLog = readFileSync(join(dir, "logs/servers.log"), "utf8").trim().split("\n");
    const applied = serversLog
      .map((line) => JSON.parse(line) as { msg: string })
      .filter((l) => l.msg === "manifest applied");
    assert.ok(applied.length >= 3, `${applied.length} manifests applied in the log`);
    const agentLog = readFileSync(join(dir, "logs/agent.log"), "utf8").trim().split("\n");
    assert.ok(agentLog.some((line) => (JSON.parse(line) as { msg: string }).msg === "scanning"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
