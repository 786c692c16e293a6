// Deployment environments: config/environments.json, validated. One entry per `cdk deploy -c env=NAME`;
// a bad value is rejected naming the file, the environment, the field and an example.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ConfigError } from "../core/errors.ts";
import { parsePublishRules, type PublishRules } from "../core/publish-rules.ts";

export type DistributionConfig =
  | { kind: "none" }
  | {
      kind: "new";
      domainNames?: string[];
      certificateArn?: string;
      priceClass: "PriceClass_100" | "PriceClass_200" | "PriceClass_All";
    }
  | { kind: "imported"; distributionId: string; domainName: string };

export interface ApplySettings {
  /** Deliveries of a failing manifest before it moves to the dead-letter queue. */
  maxReceiveCount: number;
  batchSize: number;
  maxBatchingWindowSeconds: number;
  /** Concurrent apply invocations (the event source's maximum concurrency, 2–1000). */
  maxConcurrency: number;
  timeoutSeconds: number;
  memoryMb: number;
}

export interface PostSyncSettings {
  /** How long PostSync waits for a run to be applied before it fails (and the alarm fires). */
  awaitMinutes: number;
  /** A directory with more changed paths of its own than this is invalidated with one wildcard. */
  collapseAbove: number;
  /** Most invalidation paths one run may cost; more is collapsed further. */
  maxPaths: number;
}

export interface EnvironmentConfig {
  name: string;
  account: string;
  region: string;
  /** "prod" turns on deletion protection and retains data on stack deletion. */
  stage: "dev" | "prod";
  distribution: DistributionConfig;
  publishRules: PublishRules;
  /** How long every staged version stays restorable. */
  retentionDays: number;
  apply: ApplySettings;
  postSync: PostSyncSettings;
  /**
   * How the FTP host's agent gets credentials (an instance role on EC2, or an IAM user with access keys),
   * and how long it may go without finishing a run before the NoRecentRun alarm fires.
   */
  agent: { kind: "ec2-role" | "user"; noRunAlarmMinutes: number };
  alarmEmail?: string;
}

export const DEFAULT_ENVIRONMENTS_FILE = join(dirname(fileURLToPath(import.meta.url)), "../config/environments.json");

export function loadEnvironment(name: string, file: string = DEFAULT_ENVIRONMENTS_FILE): EnvironmentConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw new ConfigError(file, "(file)", `cannot be read as JSON: ${(err as Error).message}`);
  }
  const all = (raw as { environments?: Record<string, unknown> }).environments;
  if (typeof all !== "object" || all === null) {
    throw new ConfigError(
      file,
      "environments",
      "must be an object of named environments",
      '{"environments": {"prod": {...}}}',
    );
  }
  const env = all[name];
  if (env === undefined) {
    throw new ConfigError(
      file,
      `environments.${name}`,
      `does not exist; known: ${Object.keys(all).join(", ")}`,
      "cdk synth -c env=prod",
    );
  }
  return parseEnvironment(name, env, file);
}

export function parseEnvironment(name: string, raw: unknown, file: string): EnvironmentConfig {
  const where = `environments.${name}`;
  if (typeof raw !== "object" || raw === null || Array.isArray(raw))
    throw new ConfigError(file, where, "must be an object");
  const o = raw as Record<string, unknown>;
  const field = (f: string) => `${where}.${f}`;
  const known = [
    "account",
    "region",
    "stage",
    "distribution",
    "publishRules",
    "retentionDays",
    "apply",
    "postSync",
    "agent",
    "alarmEmail",
  ];
  for (const key of Object.keys(o)) {
    if (!known.includes(key))
      throw new ConfigError(file, field(key), `is not a known setting; the settings are ${known.join(", ")}`);
  }
  if (typeof o.account !== "string" || !/^\d{12}$/.test(o.account))
    throw new ConfigError(file, field("account"), "must be a 12-digit AWS account id", '"123456789012"');
  if (typeof o.region !== "string" || !/^[a-z]{2}(-gov)?-[a-z]+-\d$/.test(o.region))
    throw new ConfigError(file, field("region"), "must be an AWS region", '"eu-west-1"');
  if (o.stage !== "dev" && o.stage !== "prod")
    throw new ConfigError(file, field("stage"), 'must be "dev" or "prod"', '"prod"');
  const retentionDays = o.retentionDays;
  if (
    typeof retentionDays !== "number" ||
    !Number.isInteger(retentionDays) ||
    retentionDays < 1 ||
    retentionDays > 3650
  ) {
    throw new ConfigError(file, field("retentionDays"), "must be a whole number of days from 1 to 3650", "90");
  }
  const agent = o.agent as { kind?: unknown; noRunAlarmMinutes?: unknown } | undefined;
  if (!agent || (agent.kind !== "ec2-role" && agent.kind !== "user")) {
    throw new ConfigError(
      file,
      field("agent.kind"),
      'must be "ec2-role" (the FTP host is an EC2 instance) or "user" (access keys)',
      '{"kind": "ec2-role"}',
    );
  }
  for (const key of Object.keys(agent)) {
    if (key !== "kind" && key !== "noRunAlarmMinutes") {
      throw new ConfigError(file, field(`agent.${key}`), "is not a known setting; agent takes kind, noRunAlarmMinutes");
    }
  }
  // Two missed 15-minute cron runs, plus the watchdog's own period, before someone is told.
  const noRunAlarmMinutes = wholeNumbers(agent, file, field("agent"))("noRunAlarmMinutes", 120, 30, 10_080);
  if (o.alarmEmail !== undefined && (typeof o.alarmEmail !== "string" || !/^[^@\s]+@[^@\s]+$/.test(o.alarmEmail))) {
    throw new ConfigError(file, field("alarmEmail"), "must be an e-mail address", '"ops@example.com"');
  }
  const config: EnvironmentConfig = {
    name,
    account: o.account,
    region: o.region,
    stage: o.stage,
    distribution: parseDistribution(o.distribution, file, field("distribution")),
    publishRules: parsePublishRules(o.publishRules, file, `${field("publishRules")}.`),
    retentionDays,
    apply: parseApply(o.apply, file, field("apply")),
    postSync: parsePostSync(o.postSync, file, field("postSync")),
    agent: { kind: agent.kind, noRunAlarmMinutes },
  };
  if (typeof o.alarmEmail === "string") config.alarmEmail = o.alarmEmail;
  return config;
}

function parseDistribution(raw: unknown, file: string, where: string): DistributionConfig {
  const d = (raw ?? {}) as Record<string, unknown>;
  if (d.kind === "none") return { kind: "none" };
  if (d.kind === "imported") {
    if (typeof d.distributionId !== "string" || !/^E[A-Z0-9]{5,}$/.test(d.distributionId)) {
      throw new ConfigError(
        file,
        `${where}.distributionId`,
        "must be a CloudFront distribution id",
        '"E2QWRUHAPOMQZL"',
      );
    }
    if (typeof d.domainName !== "string" || !d.domainName.includes(".")) {
      throw new ConfigError(
        file,
        `${where}.domainName`,
        "must be the distribution's domain name",
        '"d111111abcdef8.cloudfront.net"',
      );
    }
    return { kind: "imported", distributionId: d.distributionId, domainName: d.domainName };
  }
  if (d.kind !== "new")
    throw new ConfigError(file, `${where}.kind`, 'must be "new", "imported" or "none"', '{"kind": "new"}');
  const priceClass = d.priceClass ?? "PriceClass_100";
  if (priceClass !== "PriceClass_100" && priceClass !== "PriceClass_200" && priceClass !== "PriceClass_All") {
    throw new ConfigError(
      file,
      `${where}.priceClass`,
      "must be PriceClass_100, PriceClass_200 or PriceClass_All",
      '"PriceClass_100"',
    );
  }
  const out: DistributionConfig = { kind: "new", priceClass };
  if (d.domainNames !== undefined || d.certificateArn !== undefined) {
    if (
      !Array.isArray(d.domainNames) ||
      d.domainNames.length === 0 ||
      !d.domainNames.every((n) => typeof n === "string" && n.includes("."))
    ) {
      throw new ConfigError(file, `${where}.domainNames`, "must list the site's host names", '["www.example.com"]');
    }
    if (typeof d.certificateArn !== "string" || !/^arn:aws:acm:us-east-1:\d{12}:certificate\//.test(d.certificateArn)) {
      throw new ConfigError(
        file,
        `${where}.certificateArn`,
        "must be an ACM certificate ARN in us-east-1 (CloudFront only takes certificates from there)",
        '"arn:aws:acm:us-east-1:123456789012:certificate/…"',
      );
    }
    out.domainNames = d.domainNames as string[];
    out.certificateArn = d.certificateArn;
  }
  return out;
}

function wholeNumbers(raw: unknown, file: string, where: string) {
  const a = (raw ?? {}) as Record<string, unknown>;
  return (name: string, fallback: number, min: number, max: number): number => {
    const v = a[name] ?? fallback;
    if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
      throw new ConfigError(file, `${where}.${name}`, `must be a whole number from ${min} to ${max}`, String(fallback));
    }
    return v;
  };
}

function parsePostSync(raw: unknown, file: string, where: string): PostSyncSettings {
  const int = wholeNumbers(raw, file, where);
  return {
    awaitMinutes: int("awaitMinutes", 30, 1, 1440),
    collapseAbove: int("collapseAbove", 10, 1, 3000),
    maxPaths: int("maxPaths", 100, 1, 100_000),
  };
}

function parseApply(raw: unknown, file: string, where: string): ApplySettings {
  const int = wholeNumbers(raw, file, where);
  const settings: ApplySettings = {
    maxReceiveCount: int("maxReceiveCount", 5, 1, 1000),
    batchSize: int("batchSize", 10, 1, 10),
    maxBatchingWindowSeconds: int("maxBatchingWindowSeconds", 1, 0, 300),
    maxConcurrency: int("maxConcurrency", 10, 2, 1000),
    timeoutSeconds: int("timeoutSeconds", 120, 10, 900),
    memoryMb: int("memoryMb", 1024, 128, 10240),
  };
  return settings;
}
