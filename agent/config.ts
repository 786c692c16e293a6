// The agent's configuration: one JSON file, validated against its schema (agent/config-schema.ts), with
// command-line flags over it. A bad value is rejected naming the file, the field, what was wrong and an
// example of a right value.
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type * as z from "zod/mini";
import type { AwsEndpoints } from "../aws/clients.ts";
import type { ContentTypeRules } from "../core/content-type.ts";
import type { DotFilePolicy } from "../core/dot-files.ts";
import { ConfigError } from "../core/errors.ts";
import { RESOURCE_FIELDS } from "../core/stack-config.ts";
import { configFile, NOTES_FIELD, ruleAndExample } from "./config-schema.ts";

export { DEFAULTS, NOTES_FIELD } from "./config-schema.ts";

export interface AgentConfig {
  /** The tree to publish. */
  root: string;
  /** Key prefix in the bucket, "" or ending in "/". */
  prefix: string;
  region: string;
  siteBucket: string;
  versionBucket: string;
  table: string;
  queueUrl: string;
  /** Where the Restore workflow puts host restore plans (`sitesync restore --from-queue`). */
  restoreQueueUrl?: string;
  /** Days the version store keeps staged bytes: how far back a restore can go (the stack's retentionDays). */
  retentionDays: number;
  /** The PostSync workflow the agent starts after a run that sent entries; absent → not started. */
  postSyncStateMachineArn?: string;
  /** Where manifests that could not be applied wait (`status` counts them, `redrive` sends them back). */
  deadLetterQueueUrl?: string;
  /** The Restore workflow, for `status` to report its executions. */
  restoreStateMachineArn?: string;
  /** Local stack only: service endpoints and static credentials. */
  endpoints?: AwsEndpoints;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** Lock file and plan files live here. */
  stateDir: string;
  /** Encoding for file names that are not valid UTF-8. */
  nameEncoding: string;
  exclude: string[];
  /** Which dot files and folders are published (core/dot-files.ts); .ht* files and .sitesync/ never are. */
  dotFiles: DotFilePolicy;
  /** The site file served for a missing page, unless the root .htaccess names another (ErrorDocument 404). */
  errorPage: string;
  /** The pages tried for "/dir/", in order, unless an .htaccess says otherwise (DirectoryIndex). */
  directoryIndex: string[];
  delete: boolean;
  deleteGuard: { maxShare: number; minFiles: number; minDirectoryFiles: number };
  /** An entry sent this long ago and still not applied is sent again (its message expired or died). */
  resendAfterMinutes: number;
  /** A run holding the lock longer than this is reported as probably stuck by the runs it blocks. */
  lockWarnMinutes: number;
  /**
   * Files modified (mtime or ctime) less than this many seconds ago are left for the next run: an FTP
   * upload still running, or stalled, is never published half-written. 0 turns it off.
   */
  settleSeconds: number;
  contentTypes: ContentTypeRules;
  concurrency: { directories: number; files: number; uploads: number };
  pack: { maxBytes: number; maxFiles: number; largeFileBytes: number };
}

export interface CliOverrides {
  root?: string;
  prefix?: string;
  delete?: boolean;
  exclude?: string[];
}

export function loadConfig(path: string, overrides: CliOverrides = {}): AgentConfig {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new ConfigError(path, "(file)", `cannot be read: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(path, "(file)", `is not valid JSON: ${(err as Error).message}`);
  }
  return parseConfig(raw, path, dirname(resolve(path)), overrides);
}

export function parseConfig(raw: unknown, source: string, baseDir: string, overrides: CliOverrides = {}): AgentConfig {
  // A flag's root, prefix or delete stands in for the file's, checked by the same rules; --exclude adds globs.
  const { exclude: moreExcludes = [], ...replacing } = overrides;
  const input = isRecord(raw) ? { ...raw, ...definedOnly(replacing) } : raw;
  const result = configFile.safeParse(input);
  if (!result.success) throw configError(result.error.issues, input, source);
  const { [NOTES_FIELD]: _notes, ...file } = result.data;
  return {
    ...file,
    root: resolve(baseDir, file.root),
    stateDir: resolve(baseDir, file.stateDir),
    exclude: [...file.exclude, ...moreExcludes],
  };
}

/**
 * The one error reported of all a file has: a misspelt setting first (it may be why another is missing),
 * then a bad note, then the deployment's empty fields (one message for them all), then the rest in order.
 */
function configError(issues: readonly z.core.$ZodIssue[], input: unknown, source: string): ConfigError {
  const unknownSetting = issues
    .filter((issue) => issue.code === "unrecognized_keys")
    .sort((a, b) => a.path.length - b.path.length)[0];
  const note = issues.find((issue) => issue.path[0] === NOTES_FIELD);
  if (unknownSetting === undefined && note === undefined && isRecord(input)) {
    const [first, ...others] = RESOURCE_FIELDS.filter((field) => input[field] === "");
    if (first !== undefined) return emptyResourcesError(first, others, source);
  }
  // A failed parse has at least one issue.
  const issue = unknownSetting ?? note ?? issues[0]!;
  // An unknown setting is named by its own path, not its section's.
  const path = issue.code === "unrecognized_keys" ? [...issue.path, issue.keys[0]] : issue.path;
  const { rule, example } = ruleAndExample(issue.message);
  return new ConfigError(source, path.length === 0 ? "(file)" : path.join("."), rule, example);
}

/**
 * `sitesync init` writes the resource fields empty, for `config --from-stack` to fill: say so, naming them,
 * rather than "must be a non-empty string" for the first.
 */
function emptyResourcesError(first: string, others: readonly string[], source: string): ConfigError {
  const also = others.length > 0 ? ` (as are ${others.join(", ")})` : "";
  return new ConfigError(
    source,
    first,
    `must be a non-empty string, and is empty${also}: fill the deployment's fields from its stack ` +
      `outputs with sitesync config --from-stack STACK -c ${source}`,
    "sitesync config --from-stack sitesync-prod",
  );
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

const definedOnly = (values: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined));
