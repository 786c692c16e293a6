// The agent's configuration: one JSON file, validated field by field, with command-line flags over it.
// A bad value is rejected naming the file, the field, what was wrong and an example of a right value.
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { AwsEndpoints } from "../aws/clients.ts";
import type { ContentTypeRules } from "../core/content-type.ts";
import { ALL_DOT_FILES, DEFAULT_DOT_FILES, type DotFilePolicy } from "../core/dot-files.ts";
import { DEFAULT_DIRECTORY_INDEX, DEFAULT_ERROR_PAGE } from "../core/edge-rules.ts";
import { ConfigError } from "../core/errors.ts";
import { isKnownEncoding, normalisePrefix } from "../core/keys.ts";
import { RESOURCE_FIELDS } from "../core/stack-config.ts";

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

/** Leaves room under S3's 1,024-byte key limit for the site's own paths. */
const MAX_PREFIX_BYTES = 256;

export interface CliOverrides {
  root?: string;
  prefix?: string;
  delete?: boolean;
  exclude?: string[];
}

/** JSON has no comments: a top-level "//" (a string or a list of them) documents the file and is ignored. */
export const NOTES_FIELD = "//";

export const DEFAULTS = {
  prefix: "",
  region: "us-east-1",
  // The stack's retentionDays in the prod example (config/environments.json) and the README's costs.
  retentionDays: 90,
  nameEncoding: "latin1",
  exclude: [] as string[],
  delete: true,
  deleteGuard: { maxShare: 0.5, minFiles: 20, minDirectoryFiles: 100 },
  // Longer than PostSync waits for a run (30 minutes) and than a healthy apply backlog lasts.
  resendAfterMinutes: 60,
  lockWarnMinutes: 360,
  // Longer than an FTP client takes between two writes of a live upload; short beside the cron interval.
  settleSeconds: 60,
  concurrency: { directories: 8, files: 32, uploads: 4 },
  // 8 MiB packs: one PUT carries hundreds of small files; files from 4 MiB up get an object of their own.
  pack: { maxBytes: 8 * 1024 * 1024, maxFiles: 1000, largeFileBytes: 4 * 1024 * 1024 },
};

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
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new ConfigError(source, "(file)", "must hold a JSON object", '{"root": "/srv/ftp/site", ...}');
  }
  const o = raw as Record<string, unknown>;
  const known = new Set([
    NOTES_FIELD,
    "root",
    "prefix",
    "region",
    "siteBucket",
    "versionBucket",
    "table",
    "queueUrl",
    "restoreQueueUrl",
    "postSyncStateMachineArn",
    "deadLetterQueueUrl",
    "restoreStateMachineArn",
    "endpoints",
    "credentials",
    "stateDir",
    "nameEncoding",
    "exclude",
    "dotFiles",
    "errorPage",
    "directoryIndex",
    "delete",
    "deleteGuard",
    "contentTypes",
    "concurrency",
    "pack",
    "retentionDays",
    "resendAfterMinutes",
    "lockWarnMinutes",
    "settleSeconds",
  ]);
  for (const field of Object.keys(o)) {
    if (!known.has(field))
      throw new ConfigError(source, field, `is not a known setting; the settings are ${[...known].join(", ")}`);
  }
  checkNotes(o[NOTES_FIELD], source);
  checkResourcesFilled(o, source);
  const str = (field: string, example: string, fallback?: string): string => {
    const value = o[field] ?? fallback;
    if (typeof value !== "string" || value === "")
      throw new ConfigError(source, field, "must be a non-empty string", example);
    return value;
  };
  const root = overrides.root ?? str("root", '"/srv/ftp/site"');
  const prefixRaw = overrides.prefix ?? (o.prefix === undefined ? DEFAULTS.prefix : o.prefix);
  if (typeof prefixRaw !== "string") throw new ConfigError(source, "prefix", "must be a string", '"www/"');
  const prefix = normalisePrefix(prefixRaw);
  // Browsers and CloudFront resolve "." and ".." in a path: the site would be published where no URL reaches.
  const dotted = prefix.split("/").some((segment) => segment === "." || segment === "..");
  if (dotted || Buffer.byteLength(prefix) > MAX_PREFIX_BYTES) {
    const got = JSON.stringify(prefixRaw.slice(0, 80));
    const rule = `must be a path of at most ${MAX_PREFIX_BYTES} bytes with no "." or ".." segment`;
    throw new ConfigError(source, "prefix", `${rule}, not ${got}`, '"www/"');
  }
  const queueUrl = str("queueUrl", '"https://sqs.eu-west-1.amazonaws.com/123456789012/sitesync-prod-manifests"');
  if (!/^https?:\/\//.test(queueUrl))
    throw new ConfigError(source, "queueUrl", "must be a queue URL", '"https://sqs.…/NAME"');
  const nameEncoding = str("nameEncoding", '"latin1"', DEFAULTS.nameEncoding);
  if (!isKnownEncoding(nameEncoding)) {
    throw new ConfigError(
      source,
      "nameEncoding",
      `"${nameEncoding}" is not an encoding this Node.js knows`,
      '"latin1" or "windows-1252"',
    );
  }
  const exclude = [...stringArray(o.exclude, source, "exclude"), ...(overrides.exclude ?? [])];
  const dotFiles = parseDotFiles(o.dotFiles, source);
  const del = overrides.delete ?? o.delete ?? DEFAULTS.delete;
  if (typeof del !== "boolean") throw new ConfigError(source, "delete", "must be true or false", "true");

  const guard = section(
    o,
    "deleteGuard",
    ["maxShare", "minFiles", "minDirectoryFiles"],
    source,
    '{"maxShare": 0.5, "minFiles": 20}',
  );
  const concurrency = section(
    o,
    "concurrency",
    ["directories", "files", "uploads"],
    source,
    '{"directories": 8, "files": 32, "uploads": 4}',
  );
  const pack = section(
    o,
    "pack",
    ["maxBytes", "maxFiles", "largeFileBytes"],
    source,
    '{"maxBytes": 8388608, "maxFiles": 1000, "largeFileBytes": 4194304}',
  );
  const config: AgentConfig = {
    root: resolve(baseDir, root),
    prefix,
    region: str("region", '"eu-west-1"', DEFAULTS.region),
    siteBucket: str("siteBucket", '"example-com-site"'),
    versionBucket: str("versionBucket", '"example-com-versions"'),
    table: str("table", '"sitesync-prod-index"'),
    queueUrl,
    retentionDays: numberIn(o, "retentionDays", source, DEFAULTS.retentionDays, 1, 3650, "90"),
    stateDir: resolve(baseDir, str("stateDir", '"/var/lib/sitesync"')),
    nameEncoding,
    exclude,
    dotFiles,
    errorPage: parseErrorPage(o.errorPage, source),
    directoryIndex: parseDirectoryIndex(o.directoryIndex, source),
    delete: del,
    deleteGuard: {
      maxShare: numberIn(guard, "deleteGuard.maxShare", source, DEFAULTS.deleteGuard.maxShare, 0, 1, "0.5", false),
      minFiles: numberIn(
        guard,
        "deleteGuard.minFiles",
        source,
        DEFAULTS.deleteGuard.minFiles,
        0,
        Number.MAX_SAFE_INTEGER,
        "20",
      ),
      minDirectoryFiles: numberIn(
        guard,
        "deleteGuard.minDirectoryFiles",
        source,
        DEFAULTS.deleteGuard.minDirectoryFiles,
        1,
        Number.MAX_SAFE_INTEGER,
        "100",
      ),
    },
    resendAfterMinutes: numberIn(o, "resendAfterMinutes", source, DEFAULTS.resendAfterMinutes, 1, 100_000, "60"),
    lockWarnMinutes: numberIn(o, "lockWarnMinutes", source, DEFAULTS.lockWarnMinutes, 1, 100_000, "360"),
    settleSeconds: numberIn(o, "settleSeconds", source, DEFAULTS.settleSeconds, 0, 86_400, "60"),
    contentTypes: parseContentTypes(o.contentTypes, source),
    concurrency: {
      directories: numberIn(
        concurrency,
        "concurrency.directories",
        source,
        DEFAULTS.concurrency.directories,
        1,
        256,
        "8",
      ),
      files: numberIn(concurrency, "concurrency.files", source, DEFAULTS.concurrency.files, 1, 1024, "32"),
      uploads: numberIn(concurrency, "concurrency.uploads", source, DEFAULTS.concurrency.uploads, 1, 64, "4"),
    },
    pack: {
      maxBytes: numberIn(pack, "pack.maxBytes", source, DEFAULTS.pack.maxBytes, 1024, 64 * 1024 * 1024, "8388608"),
      maxFiles: numberIn(pack, "pack.maxFiles", source, DEFAULTS.pack.maxFiles, 1, 100_000, "1000"),
      largeFileBytes: numberIn(
        pack,
        "pack.largeFileBytes",
        source,
        DEFAULTS.pack.largeFileBytes,
        1,
        Number.MAX_SAFE_INTEGER,
        "4194304",
      ),
    },
  };
  if (config.pack.largeFileBytes > config.pack.maxBytes) {
    throw new ConfigError(source, "pack.largeFileBytes", "must not exceed pack.maxBytes", String(config.pack.maxBytes));
  }
  const restoreQueueUrl = optionalQueueUrl(o, "restoreQueueUrl", "RestoreQueueUrl", source);
  if (restoreQueueUrl) config.restoreQueueUrl = restoreQueueUrl;
  const deadLetterQueueUrl = optionalQueueUrl(o, "deadLetterQueueUrl", "DeadLetterQueueUrl", source);
  if (deadLetterQueueUrl) config.deadLetterQueueUrl = deadLetterQueueUrl;
  const postSync = optionalStateMachineArn(o, "postSyncStateMachineArn", "PostSyncStateMachineArn", source);
  if (postSync) config.postSyncStateMachineArn = postSync;
  const restore = optionalStateMachineArn(o, "restoreStateMachineArn", "RestoreStateMachineArn", source);
  if (restore) config.restoreStateMachineArn = restore;
  if (o.endpoints !== undefined) config.endpoints = parseEndpoints(o.endpoints, source);
  if (o.credentials !== undefined) config.credentials = parseCredentials(o.credentials, source);
  return config;
}

function checkNotes(value: unknown, source: string): void {
  if (value === undefined || typeof value === "string") return;
  if (!Array.isArray(value) || !value.every((v) => typeof v === "string")) {
    throw new ConfigError(source, NOTES_FIELD, "is a note: a string or a list of strings", '["why prefix is www/"]');
  }
}

/**
 * `sitesync init` writes the resource fields empty, for `config --from-stack` to fill: say so, naming them,
 * rather than "must be a non-empty string" for the first.
 */
function checkResourcesFilled(o: Record<string, unknown>, source: string): void {
  const empty = RESOURCE_FIELDS.filter((field) => o[field] === "");
  const [first] = empty;
  if (first === undefined) return;
  const others = empty.length > 1 ? ` (as are ${empty.slice(1).join(", ")})` : "";
  throw new ConfigError(
    source,
    first,
    `must be a non-empty string, and is empty${others}: fill the deployment's fields from its stack ` +
      `outputs with sitesync config --from-stack STACK -c ${source}`,
    "sitesync config --from-stack sitesync-prod",
  );
}

function optionalQueueUrl(o: Record<string, unknown>, field: string, output: string, source: string) {
  const value = o[field];
  if (value === undefined) return undefined;
  if (typeof value !== "string" || !/^https?:\/\//.test(value)) {
    throw new ConfigError(source, field, `must be a queue URL (the stack output ${output})`, '"https://sqs.…/NAME"');
  }
  return value;
}

function optionalStateMachineArn(o: Record<string, unknown>, field: string, output: string, source: string) {
  const value = o[field];
  if (value === undefined) return undefined;
  if (typeof value !== "string" || !/^arn:aws[\w-]*:states:[\w-]+:\d{12}:stateMachine:[\w-]+$/.test(value)) {
    throw new ConfigError(
      source,
      field,
      `must be a state machine ARN (the stack output ${output})`,
      `"arn:aws:states:eu-west-1:123456789012:stateMachine:${output.replace(/StateMachineArn$/, "")}…"`,
    );
  }
  return value;
}

function stringArray(value: unknown, source: string, field: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((v) => typeof v === "string" && v !== "")) {
    throw new ConfigError(source, field, "must be an array of glob strings", '["**/*.tmp", "private/**"]');
  }
  return value as string[];
}

/**
 * `"include"` and `"exclude"` are the settings of before `publish`: every dot name (but .ht* files and
 * .sitesync/), or none — not even .well-known/. Absent: .well-known/ only.
 */
function parseDotFiles(value: unknown, source: string): DotFilePolicy {
  const example = '{"publish": ["**/.well-known/**", ".nojekyll"]}';
  if (value === undefined) return DEFAULT_DOT_FILES;
  if (value === "include") return ALL_DOT_FILES;
  if (value === "exclude") return { publish: [] };
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ConfigError(source, "dotFiles", 'must be "include", "exclude" or {"publish": [globs]}', example);
  }
  for (const key of Object.keys(value)) {
    if (key !== "publish") throw new ConfigError(source, `dotFiles.${key}`, "is not a known setting", example);
  }
  const publish = (value as { publish?: unknown }).publish;
  if (!Array.isArray(publish) || !publish.every((v) => typeof v === "string" && v !== "")) {
    throw new ConfigError(
      source,
      "dotFiles.publish",
      "must be an array of globs over the site paths of the dot files and folders to publish",
      '["**/.well-known/**"]',
    );
  }
  return { publish: publish as string[] };
}

function parseErrorPage(value: unknown, source: string): string {
  if (value === undefined) return DEFAULT_ERROR_PAGE;
  const path = typeof value === "string" ? value : "";
  if (path === "" || path.startsWith("/") || path.endsWith("/") || path.split("/").includes("..")) {
    throw new ConfigError(source, "errorPage", "must be the site-relative path of a file", '"errors/404.html"');
  }
  return path;
}

function parseDirectoryIndex(value: unknown, source: string): string[] {
  if (value === undefined) return DEFAULT_DIRECTORY_INDEX;
  const names = (Array.isArray(value) ? value : []) as unknown[];
  if (names.length === 0 || !names.every((v) => typeof v === "string" && /^[^/]+$/.test(v) && v !== "..")) {
    throw new ConfigError(
      source,
      "directoryIndex",
      "must be a list of file names, tried in order",
      '["index.html", "index.htm"]',
    );
  }
  return names as string[];
}

/** A nested settings object: must be an object if present, and may only hold the keys it knows. */
function section(
  o: Record<string, unknown>,
  name: string,
  keys: string[],
  source: string,
  example: string,
): Record<string, unknown> {
  const value = o[name];
  if (value === undefined) return {};
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ConfigError(source, name, "must be an object", example);
  }
  for (const key of Object.keys(value)) {
    if (!keys.includes(key))
      throw new ConfigError(
        source,
        `${name}.${key}`,
        `is not a known setting; ${name} takes ${keys.join(", ")}`,
        example,
      );
  }
  return value as Record<string, unknown>;
}

function numberIn(
  parent: Record<string, unknown>,
  path: string,
  source: string,
  fallback: number,
  min: number,
  max: number,
  example: string,
  integer = true,
): number {
  const value = parent[path.slice(path.lastIndexOf(".") + 1)];
  if (value === undefined) return fallback;
  if (
    typeof value !== "number" ||
    !Number.isFinite(value) ||
    value < min ||
    value > max ||
    (integer && !Number.isInteger(value))
  ) {
    throw new ConfigError(
      source,
      path,
      `must be ${integer ? "a whole number" : "a number"} from ${min} to ${max}`,
      example,
    );
  }
  return value;
}

function parseContentTypes(value: unknown, source: string): ContentTypeRules {
  if (value === undefined) return {};
  const example = '{"overrides": {"map": "application/json"}, "charset": "utf-8"}';
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new ConfigError(source, "contentTypes", "must be an object", example);
  const { overrides, charset, fallback } = value as Record<string, unknown>;
  const rules: ContentTypeRules = {};
  if (overrides !== undefined) {
    if (
      typeof overrides !== "object" ||
      overrides === null ||
      !Object.values(overrides).every((v) => typeof v === "string" && /^[\w.+-]+\/[\w.+-]+/.test(v))
    ) {
      throw new ConfigError(source, "contentTypes.overrides", "must map extensions to MIME types", example);
    }
    rules.overrides = overrides as Record<string, string>;
  }
  if (charset !== undefined) {
    if (charset !== null && typeof charset !== "string")
      throw new ConfigError(source, "contentTypes.charset", "must be a string or null", '"utf-8"');
    rules.charset = charset;
  }
  if (fallback !== undefined) {
    if (typeof fallback !== "string" || !/^[\w.+-]+\/[\w.+-]+/.test(fallback)) {
      throw new ConfigError(source, "contentTypes.fallback", "must be a MIME type", '"application/octet-stream"');
    }
    rules.fallback = fallback;
  }
  return rules;
}

function parseEndpoints(value: unknown, source: string): AwsEndpoints {
  const example =
    '{"s3": "http://127.0.0.1:4566", "sqs": "http://127.0.0.1:4566", "dynamodb": "http://127.0.0.1:4567"}';
  if (typeof value !== "object" || value === null)
    throw new ConfigError(source, "endpoints", "must be an object", example);
  const out: AwsEndpoints = {};
  for (const [service, url] of Object.entries(value)) {
    if (service !== "s3" && service !== "sqs" && service !== "dynamodb" && service !== "sfn") {
      throw new ConfigError(source, `endpoints.${service}`, "is not a service the agent uses", example);
    }
    if (typeof url !== "string" || !/^https?:\/\//.test(url))
      throw new ConfigError(source, `endpoints.${service}`, "must be a URL", example);
    out[service] = url;
  }
  return out;
}

function parseCredentials(value: unknown, source: string): { accessKeyId: string; secretAccessKey: string } {
  const { accessKeyId, secretAccessKey } = (value ?? {}) as Record<string, unknown>;
  if (typeof accessKeyId !== "string" || typeof secretAccessKey !== "string") {
    throw new ConfigError(
      source,
      "credentials",
      "must have accessKeyId and secretAccessKey (local stack only; in AWS use the instance role)",
      '{"accessKeyId": "local", "secretAccessKey": "local"}',
    );
  }
  return { accessKeyId, secretAccessKey };
}
