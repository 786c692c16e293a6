// The site's .htaccess files, as the scan read them, become the edge rules of the run (core/edge-rules.ts):
// every directive not carried over and every rule that cannot take effect as written is reported by file
// and line on every run, and the rules are stored where PostSync reads them (aws/edge-rules-store.ts) when
// they changed — then the run starts PostSync with `edgeRules: true`, even if it sent nothing.
//
// Whether they changed is decided against the hash of the rules this host last stored, kept in stateDir,
// not read back from the version store: the agent's role may put run artifacts but not read them
// (lib/agent-identity.ts), and the object's metadata would need that same read. The cost of the state
// being lost or stale (a new stateDir, a second host) is one write of the same rules and one PostSync.
// Every object of the version store expires after the deployment's retentionDays, so unchanged rules are
// written again once half of that has passed; that rewrite needs no PostSync (the edge has them).
import { createHash } from "node:crypto";
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { S3Client } from "@aws-sdk/client-s3";
import { putEdgeRules } from "../../aws/edge-rules-store.ts";
import { buildEdgeRules } from "../../core/edge-rules.ts";
import type { Logger } from "../../core/logger.ts";
import type { AgentConfig } from "../config.ts";
import type { ScanNotes } from "./scan.ts";

export interface EdgeRulesReport {
  /** .htaccess files read. */
  htaccessFiles: number;
  redirects: number;
  /** Directives not carried over, and rules that cannot take effect as written: "docs/.htaccess:3". */
  notCarriedOver: Array<{ source: string; directive?: string; reason: string }>;
  /** .htaccess files that could not be read: the rules stored before stay as they are. */
  unreadable: Array<{ key: string; reason: string }>;
  /**
   * stored: they changed and were stored for PostSync; unchanged; kept: not stored, an .htaccess could not
   * be read; would-store: a dry run found them changed.
   */
  rules: "stored" | "unchanged" | "kept" | "would-store";
}

export interface RunEdgeRules {
  report: EdgeRulesReport;
  /** The rules differ from those last stored: the run must store them and start PostSync for them. */
  changed: boolean;
  /** Stores the rules when they changed or their stored copy is getting old; records what was stored. */
  store(s3: S3Client): Promise<void>;
}

const STATE_FILE = "edge-rules.json";

interface StoredState {
  versionBucket: string;
  sha256: string;
  /** When this host last wrote them, ISO 8601. */
  stored: string;
}

export function edgeRulesOfRun(
  config: AgentConfig,
  htaccess: NonNullable<ScanNotes["htaccess"]>,
  logger: Logger,
  options: { dryRun: boolean },
): RunEdgeRules {
  const { files, unreadable } = htaccess;
  const { rules, problems } = buildEdgeRules(files, {
    prefix: config.prefix,
    errorPage: config.errorPage,
    directoryIndex: config.directoryIndex,
  });
  const notCarriedOver: EdgeRulesReport["notCarriedOver"] = [];
  for (const file of [...files].sort((a, b) => (a.dir < b.dir ? -1 : a.dir > b.dir ? 1 : 0))) {
    const path = `${file.dir === "" ? "" : `${file.dir}/`}.htaccess`;
    for (const u of file.unsupported) {
      notCarriedOver.push({ source: `${path}:${u.line}`, directive: u.directive, reason: u.reason });
    }
  }
  notCarriedOver.push(...problems);
  for (const item of notCarriedOver) logger.warn(".htaccess: not carried over", { ...item });
  for (const u of unreadable) logger.warn(".htaccess: cannot be read; the edge rules stored before are kept", u);

  const sha256 = createHash("sha256").update(JSON.stringify(rules)).digest("hex");
  const statePath = join(config.stateDir, STATE_FILE);
  const last = readState(statePath, config.versionBucket);
  const now = new Date();
  const changed = unreadable.length === 0 && last?.sha256 !== sha256;
  const ageDays = last ? (now.getTime() - Date.parse(last.stored)) / 86_400_000 : Number.POSITIVE_INFINITY;
  const refresh = unreadable.length === 0 && !changed && !(ageDays < config.retentionDays / 2);
  const report: EdgeRulesReport = {
    htaccessFiles: files.length,
    redirects: rules.redirects.length,
    notCarriedOver,
    unreadable,
    rules: unreadable.length > 0 ? "kept" : !changed ? "unchanged" : options.dryRun ? "would-store" : "stored",
  };
  return {
    report,
    changed: changed && !options.dryRun,
    async store(s3) {
      if (options.dryRun || !(changed || refresh)) return;
      await putEdgeRules(s3, config.versionBucket, rules);
      writeState(statePath, { versionBucket: config.versionBucket, sha256, stored: now.toISOString() });
      if (changed) logger.info("edge rules changed: stored for PostSync", { redirects: rules.redirects.length });
    },
  };
}

/** What this host last stored in this deployment's version store, if it knows. */
function readState(path: string, versionBucket: string): StoredState | undefined {
  try {
    const state = JSON.parse(readFileSync(path, "utf8")) as Partial<StoredState>;
    if (state.versionBucket !== versionBucket || typeof state.sha256 !== "string") return undefined;
    if (typeof state.stored !== "string" || Number.isNaN(Date.parse(state.stored))) return undefined;
    return state as StoredState;
  } catch {
    return undefined; // none yet, or unreadable: the rules are stored again
  }
}

function writeState(path: string, state: StoredState): void {
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(state)}\n`);
  renameSync(temp, path);
}
