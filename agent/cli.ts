// The `sitesync` command line: argument parsing, configuration, exit codes, and the run summary.
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { createAwsClients } from "../aws/clients.ts";
import { ConfigError, errorMessage } from "../core/errors.ts";
import { loadConfig } from "./config.ts";
import { RootMissingError } from "./sync/diff.ts";
import { runAdopt, formatAdoptSummary } from "./adopt/adopt.ts";
import { CheckpointMismatchError } from "./adopt/adopt-checkpoint.ts";
import { LockHeldError } from "./lock.ts";
import { RestoreTimeError, runHostRestore, type HostRestoreResult } from "./restore/restore-host.ts";
import { createLogger, type Level } from "../core/logger.ts";
import { formatBytes, runSync, SafetyGuardError, type SyncResult } from "./sync/sync.ts";

export const EXIT = { ok: 0, failed: 1, usage: 2, locked: 3, guard: 4 } as const;

export const USAGE = `sitesync — publish a static site tree to S3 and CloudFront

Usage:
  sitesync sync --config FILE [options] [DIR]
  sitesync restore --config FILE [--prefix P] [--as-of TIME] [--delete [--force]] [--dry-run] [DIR]
  sitesync restore --config FILE --from-queue [--delete [--force]] [--dry-run] [DIR]
  sitesync adopt --config FILE [--dry-run] [--delete] [--fudge SECONDS] [--resume] [--force] [DIR]

Commands:
  sync       Compare DIR (default: "root" from the config) with the index, stage what changed,
             and send manifests to the apply queue.
  restore    Rebuild DIR (default: "root") from what the index publishes, or from the versions it had
             at --as-of: files written atomically with their indexed mtimes, so the next sync sees no
             change. Extra files are removed only with --delete, past the mass-deletion guard.
             Only a restore into "root" updates the index; DIR elsewhere is a scratch copy.
  adopt      Build the index from one listing of a bucket another tool already fills: a file counts
             as published when its size matches and its mtime is not later than the object's
             LastModified + --fudge (default 1200 s). Never writes to the bucket; keys with no file
             are reported, and queued for deletion only with --delete. --resume continues after an
             interruption.

Options:
  -c, --config FILE     configuration file (JSON; see README "Agent configuration")
      --prefix P        sync: key prefix in the bucket (overrides the config);
                        restore: the part of the site to restore (e.g. docs/), within the
                        config's prefix (which it never changes)
      --no-delete       sync: publish new and changed files, delete nothing
      --delete          restore: also remove files the restored state does not hold;
                        adopt: queue keys that have no file for deletion
      --as-of TIME      restore: the point in time, ISO 8601 with its zone (2026-11-25T09:00:00Z),
                        not in the future nor older than retentionDays
      --from-queue      restore: apply the plans the Restore workflow put on the restore queue
      --fudge SECONDS   adopt: clock difference allowed between the host and S3 (default 1200)
      --resume          adopt: continue an interrupted adoption
      --exclude GLOB    leave out matching site paths (repeatable; adds to the config's list)
  -n, --dry-run         print the plan and change nothing
      --force           go past the mass-deletion guard (sync, adopt --delete, restore --delete)
      --json            print the result as JSON on stdout
      --log-level L     debug | info | warn | error (default: info)
  -h, --help            this text

Exit codes:
  0  done              1  failed (retry later; nothing half-published)
  2  bad usage/config  3  another run holds the lock
  4  a safety guard stopped the run (empty tree, or too many deletions)
`;

export async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        config: { type: "string", short: "c" },
        prefix: { type: "string" },
        "no-delete": { type: "boolean" },
        delete: { type: "boolean" },
        "as-of": { type: "string" },
        "from-queue": { type: "boolean" },
        fudge: { type: "string" },
        resume: { type: "boolean" },
        exclude: { type: "string", multiple: true },
        "dry-run": { type: "boolean", short: "n" },
        force: { type: "boolean" },
        json: { type: "boolean" },
        "log-level": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (err) {
    process.stderr.write(`sitesync: ${errorMessage(err)}\n\n${USAGE}`);
    return EXIT.usage;
  }
  const { values, positionals } = parsed;
  const [command, ...rest] = positionals;
  if (values.help || command === "help") {
    process.stdout.write(USAGE);
    return EXIT.ok;
  }
  if (command !== "sync" && command !== "restore" && command !== "adopt") {
    process.stderr.write(`sitesync: ${command ? `unknown command "${command}"` : "no command given"}\n\n${USAGE}`);
    return EXIT.usage;
  }
  const level = (values["log-level"] ?? "info") as Level;
  if (!["debug", "info", "warn", "error"].includes(level)) {
    process.stderr.write(`sitesync: --log-level must be debug, info, warn or error\n`);
    return EXIT.usage;
  }
  if (!values.config) {
    process.stderr.write(`sitesync: --config FILE is required\n\n${USAGE}`);
    return EXIT.usage;
  }
  if (rest.length > 1) {
    process.stderr.write(`sitesync: ${command} takes at most one directory\n`);
    return EXIT.usage;
  }
  const fudge = values.fudge === undefined ? undefined : Number(values.fudge);
  if (fudge !== undefined && (!Number.isFinite(fudge) || fudge < 0)) {
    process.stderr.write(`sitesync: --fudge must be a number of seconds, not "${values.fudge}"\n`);
    return EXIT.usage;
  }
  const planned = values.prefix !== undefined || values["as-of"] !== undefined;
  if (command === "restore" && values["from-queue"] && planned) {
    process.stderr.write("sitesync: restore --from-queue takes the prefix and time from its plan: drop them\n");
    return EXIT.usage;
  }
  const logger = createLogger({ level });
  try {
    const config = loadConfig(values.config, {
      // A directory on the command line is relative to where the command runs, not to the config file.
      // restore's DIR is where to write, not the tree the index describes (only that one's index entries
      // may follow the files restore writes).
      ...(rest[0] !== undefined && command !== "restore" ? { root: resolve(rest[0]) } : {}),
      // restore's --prefix is the part of the site to restore, never the site's own prefix.
      ...(values.prefix !== undefined && command !== "restore" ? { prefix: values.prefix } : {}),
      ...(values["no-delete"] ? { delete: false } : {}),
      ...(values.exclude ? { exclude: values.exclude } : {}),
    });
    const clients = createAwsClients({
      region: config.region,
      ...(config.endpoints ? { endpoints: config.endpoints } : {}),
      ...(config.credentials ? { credentials: config.credentials } : {}),
      maxSockets: config.concurrency.files * 2,
    });
    try {
      if (command === "adopt") {
        const interrupt = new AbortController();
        process.once("SIGINT", () => interrupt.abort());
        const result = await runAdopt(config, clients, logger, {
          dryRun: values["dry-run"] === true,
          delete: values.delete === true,
          resume: values.resume === true,
          force: values.force === true,
          signal: interrupt.signal,
          ...(fudge !== undefined ? { fudgeSeconds: fudge } : {}),
        });
        process.stdout.write(values.json ? `${JSON.stringify(result)}\n` : formatAdoptSummary(result));
        return EXIT.ok;
      }
      if (command === "restore") {
        const result = await runHostRestore(config, clients, logger, {
          prefix: values.prefix ?? "",
          ...(values["as-of"] !== undefined ? { asOf: values["as-of"] } : {}),
          ...(values["from-queue"] ? { fromQueue: true } : {}),
          dir: rest[0] !== undefined ? resolve(rest[0]) : config.root,
          delete: values.delete === true,
          force: values.force === true,
          dryRun: values["dry-run"] === true,
        });
        process.stdout.write(values.json ? `${JSON.stringify(result)}\n` : formatRestoreSummary(result));
        const reported = [result.refused, result.unrestorable, result.failed, result.messagesLeft];
        return reported.some((l) => l.length > 0) || result.deletionSkipped !== undefined ? EXIT.failed : EXIT.ok;
      }
      const result = await runSync(config, clients, logger, { dryRun: values["dry-run"] === true, force: values.force === true });
      process.stdout.write(values.json ? `${JSON.stringify(result)}\n` : formatSummary(result));
      return EXIT.ok;
    } finally {
      clients.destroy();
    }
  } catch (err) {
    if (err instanceof ConfigError || err instanceof CheckpointMismatchError || err instanceof RestoreTimeError) {
      logger.error(err.message);
      return EXIT.usage;
    }
    if (err instanceof LockHeldError) {
      logger.error(err.message);
      return EXIT.locked;
    }
    if (err instanceof SafetyGuardError || err instanceof RootMissingError) {
      logger.error(err.message);
      return EXIT.guard;
    }
    logger.error(`${command} failed: ${errorMessage(err)}`, { error: (err as Error)?.name });
    return EXIT.failed;
  }
}

export function formatRestoreSummary(r: HostRestoreResult): string {
  const lines = [
    `Restore${r.seconds > 0 ? ` in ${r.seconds.toFixed(1)} s` : ""}: ${r.files} files in the restored state`,
    `  written   ${r.written}`,
    `  in place  ${r.skipped} (same size and mtime)`,
  ];
  // An empty restore is most often a mistyped --prefix or an --as-of before the files existed.
  if (r.files === 0) {
    lines.push(`  the restored state holds no files under ${JSON.stringify(r.prefix)}: check --prefix and --as-of`);
  }
  if (r.deleted > 0) lines.push(`  removed   ${r.deleted} extra files`);
  if (r.deletionSkipped) lines.push(`  NOT REMOVED extra files: ${r.deletionSkipped}`);
  for (const x of r.refused) lines.push(`  REFUSED   ${JSON.stringify(x.key)}: ${x.reason}`);
  for (const x of r.unrestorable) lines.push(`  LOST      ${JSON.stringify(x.key)}: ${x.reason}`);
  for (const x of r.failed) lines.push(`  FAILED    ${JSON.stringify(x.key)}: ${x.reason}`);
  for (const x of r.messagesLeft) lines.push(`  LEFT ON THE QUEUE message ${x.messageId}: ${x.reason}`);
  return `${lines.join("\n")}\n`;
}

export function formatSummary(r: SyncResult): string {
  const p = r.plan;
  const lines: string[] = [];
  const title = r.dryRun ? `Dry run ${r.runId}: nothing was changed.` : `Run ${r.runId}`;
  lines.push(title);
  lines.push(
    `  scanned   ${r.diff.files} files (${formatBytes(r.diff.bytes)}) in ${r.diff.directories} directories, ${r.seconds.toFixed(1)} s, peak memory ${formatBytes(r.peakRssBytes)}`,
  );
  const work = p.put + p.delete + p.resend;
  if (work === 0) {
    lines.push(`  nothing to do: the index already matches the tree${r.diff.inFlight > 0 ? ` (${r.diff.inFlight} entries still being applied)` : ""}`);
  } else {
    const reasons = Object.entries(p.byReason)
      .filter(([k]) => !k.startsWith("mkdir") && !k.startsWith("rmdir"))
      .map(([k, v]) => `${k.replace(":", " ")} ${v}`)
      .join(", ");
    lines.push(`  ${r.dryRun ? "would    " : "changes  "} upload ${p.put} (${formatBytes(p.putBytes)}), delete ${p.delete}, re-send ${p.resend}  [${reasons}]`);
  }
  if (r.publish) {
    const s = r.publish;
    lines.push(
      `  staged    ${s.staged} files (${formatBytes(s.stagedBytes)}) in ${s.packs} packs and ${s.largeObjects} large objects`,
    );
    lines.push(`  sent      ${s.entriesSent} entries in ${s.messagesSent} messages`);
    if (s.left.length > 0) lines.push(`  left      ${s.left.length} files changing or unreadable; the next run retries them`);
  }
  if (r.diff.unreadable.length > 0) lines.push(`  unreadable ${r.diff.unreadable.length} (kept as published)`);
  if (r.skipped.length > 0) lines.push(`  skipped   ${r.skipped.length} (links, special files, unusable names; --log-level debug lists them)`);
  if (r.dryRun && r.preview.length > 0) {
    lines.push("  plan (first entries):");
    for (const op of r.preview) {
      const what = op.op === "put" ? `put     ${op.key}  (${op.reason}, ${op.size} B)` : op.op === "delete" ? `delete  ${op.key}` : op.op === "resend" ? `resend  ${op.key}` : "";
      if (what) lines.push(`    ${what}`);
    }
  }
  return `${lines.join("\n")}\n`;
}
