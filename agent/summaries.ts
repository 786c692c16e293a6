// What a command prints on a terminal when it is done: the human summary of a sync or a restore (adopt's
// lives beside it in agent/adopt/). --json prints the result objects instead.
import type { HostRestoreResult } from "./restore/restore-host.ts";
import { columns } from "./output-columns.ts";
import { formatBytes } from "../core/format-bytes.ts";
import type { SyncResult } from "./sync/sync.ts";

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
    `  scanned   ${r.diff.files} files (${formatBytes(r.diff.bytes)}) in ${r.diff.directories} directories, ` +
      `${r.seconds.toFixed(1)} s, peak memory ${formatBytes(r.peakRssBytes)} (the agent's process)`,
  );
  lines.push(indexLine(r));
  const work = p.put + p.delete + p.resend + p.record;
  if (work === 0 && r.diff.settling > 0) {
    lines.push("  nothing to do yet: every change is still settling");
  } else if (work === 0) {
    lines.push(
      `  nothing to do: the index already matches the tree` +
        `${r.diff.inFlight > 0 ? ` (${r.diff.inFlight} entries still being applied)` : ""}`,
    );
  } else {
    const reasons = Object.entries(p.byReason)
      .filter(([k]) => !k.startsWith("mkdir") && !k.startsWith("rmdir"))
      .map(([k, v]) => `${k.replace(":", " ")} ${v}`)
      .join(", ");
    lines.push(
      `  ${r.dryRun ? "would    " : "changes  "} upload ${p.put} (${formatBytes(p.putBytes)}), ` +
        `delete ${p.delete}, re-send ${p.resend}${p.record > 0 ? `, record ${p.record}` : ""}  [${reasons}]`,
    );
  }
  const settling = r.diff.settling + (r.publish?.settling ?? 0);
  if (settling > 0) {
    lines.push(`  settling  ${settling} files modified within settleSeconds; left for the next run`);
  }
  if (r.publish) {
    const s = r.publish;
    lines.push(
      `  staged    ${s.staged} files (${formatBytes(s.stagedBytes)}) in ${s.packs} packs ` +
        `and ${s.largeObjects} large objects`,
    );
    lines.push(`  sent      ${s.entriesSent} entries in ${s.messagesSent} messages`);
    if (s.unchangedContent > 0)
      lines.push(`  unchanged content, metadata recorded: ${s.unchangedContent} (same bytes; nothing published)`);
    if (s.recorded > 0) lines.push(`  recorded  ${s.recorded} files' ctime and inode (index only)`);
    if (s.left.length > 0)
      lines.push(`  left      ${s.left.length} files changing or unreadable; the next run retries them`);
  }
  lines.push(...edgeLines(r));
  if (r.dotFiles.leftOut > 0) {
    const shown = r.dotFiles.sample.slice(0, 3).join(", ");
    lines.push(
      `  dot files ${r.dotFiles.leftOut} left out (${shown}${r.dotFiles.leftOut > 3 ? ", …" : ""}; ` +
        "a folder counts once; the dotFiles setting publishes them, --log-level debug lists them)",
    );
  }
  if (r.diff.unreadable.length > 0) lines.push(`  unreadable ${r.diff.unreadable.length} (kept as published)`);
  if (r.skipped.length > 0)
    lines.push(`  skipped   ${r.skipped.length} (links, special files, unusable names; each logged as a warning)`);
  if (r.dryRun && r.preview.length > 0) {
    lines.push("  plan (first entries):");
    const rows = r.preview.flatMap((op): string[][] =>
      op.op === "put"
        ? [[op.op, op.key, `(${op.reason}, ${op.size} B)`]]
        : op.op === "delete" || op.op === "resend"
          ? [[op.op, op.key]]
          : [],
    );
    lines.push(...columns(rows).map((row) => `    ${row}`));
  }
  return `${lines.join("\n")}\n`;
}

/** Shown in full up to this many; the rest are in the log (and in --json). */
const NOT_CARRIED_OVER_SHOWN = 20;

/** The site's .htaccess files: what became of their rules, and every line not carried over. */
function edgeLines(r: SyncResult): string[] {
  const e = r.edge;
  const fate = {
    stored: "changed: stored, and PostSync publishes them to the edge",
    unchanged: "unchanged",
    kept: "NOT STORED: an .htaccess could not be read, so the rules stored before stay",
    "would-store": "changed: a run would store them and start PostSync",
  }[e.rules];
  const lines = [`  .htaccess ${e.htaccessFiles} files read, ${e.redirects} redirects; rules ${fate}`];
  for (const u of e.unreadable) lines.push(`  .htaccess UNREADABLE ${u.key}: ${u.reason}`);
  for (const n of e.notCarriedOver.slice(0, NOT_CARRIED_OVER_SHOWN)) {
    lines.push(`  .htaccess not carried over: ${n.source}${n.directive ? ` ${n.directive}` : ""}: ${n.reason}`);
  }
  const more = e.notCarriedOver.length - NOT_CARRIED_OVER_SHOWN;
  if (more > 0) lines.push(`  .htaccess … and ${more} more not carried over (each logged as a warning)`);
  return lines;
}

/** Where the run read the index: the host's replica (agent/replica/) and DynamoDB, directory by directory. */
function indexLine(r: SyncResult): string {
  const { fromReplica, fromIndex, asLastSeen, fromIndexFiles, filesRead } = r.diff;
  const files =
    fromIndexFiles > 0 ? `${fromIndexFiles} with only their changed files read from DynamoDB (${filesRead}), ` : "";
  const read = `${files}${fromIndex} read from DynamoDB`;
  if (r.replica.unavailable !== undefined) return `  index     ${read} (no replica: ${r.replica.unavailable})`;
  const afresh = r.replica.rebuilt !== undefined ? ` (replica made afresh: ${r.replica.rebuilt})` : "";
  const seen = asLastSeen > 0 ? ` (${asLastSeen} as the last run left them)` : "";
  return `  index     ${fromReplica} directories from the host's replica${seen}, ${read}${afresh}`;
}
