// Deployment environments: config/environments.json, validated. One entry per `cdk deploy -c env=NAME`;
// a bad value is rejected naming the file, the environment, the field and an example. The entry's schema
// (lib/environment-schema.ts) says what each field takes; this module finds the entry and reports.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type * as z from "zod/mini";
import { ConfigError } from "../core/errors.ts";
import { parsePublishRules, type PublishRules } from "../core/publish-rules.ts";
import {
  type agentSchema,
  type applySchema,
  type distributionSchema,
  environmentSchema,
  type postSyncSchema,
} from "./environment-schema.ts";

export type DistributionConfig = z.output<typeof distributionSchema>;
export type ApplySettings = z.output<typeof applySchema>;
export type PostSyncSettings = z.output<typeof postSyncSchema>;
export type AgentSettings = z.output<typeof agentSchema>;
export type EnvironmentConfig = Omit<z.output<typeof environmentSchema>, "publishRules"> & {
  name: string;
  publishRules: PublishRules;
};

export const DEFAULT_ENVIRONMENTS_FILE = join(dirname(fileURLToPath(import.meta.url)), "../config/environments.json");

/**
 * Reads the file and validates only the entry asked for, so a mistake in one environment does not stop
 * deploying another.
 */
export function loadEnvironment(name: string, file: string = DEFAULT_ENVIRONMENTS_FILE): EnvironmentConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw new ConfigError(file, "(file)", `cannot be read as JSON: ${(err as Error).message}`);
  }
  const all = (raw as { environments?: Record<string, unknown> } | null)?.environments;
  if (typeof all !== "object" || all === null || Array.isArray(all)) {
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
  const result = environmentSchema.safeParse(raw);
  if (!result.success) throw configError(file, where, result.error.issues);
  const { publishRules, ...entry } = result.data;
  return { name, ...entry, publishRules: parsePublishRules(publishRules, file, `${where}.publishRules.`) };
}

const MAX_ISSUES_SHOWN = 3;

/** Names the first wrong field, as ConfigError does, and appends the next few so one edit can fix them all. */
function configError(file: string, where: string, issues: readonly z.core.$ZodIssue[]): ConfigError {
  const wrong = issues.flatMap((issue) =>
    // One entry per unknown setting, at the setting's own path.
    issue.code === "unrecognized_keys"
      ? issue.keys.map((key) => ({ field: fieldPath(where, [...issue.path, key]), message: issue.message }))
      : [{ field: fieldPath(where, issue.path), message: issue.message }],
  );
  const [first, ...rest] = wrong as [(typeof wrong)[number], ...typeof wrong];
  const shown = rest.slice(0, MAX_ISSUES_SHOWN - 1).map((w) => `; "${w.field}" ${w.message}`);
  const more = rest.length - shown.length;
  return new ConfigError(file, first.field, first.message + shown.join("") + (more > 0 ? ` (and ${more} more)` : ""));
}

/** environments.prod.distribution.domainNames[0], as the field is written in the file */
function fieldPath(where: string, path: readonly PropertyKey[]): string {
  return where + path.map((part) => (typeof part === "number" ? `[${part}]` : `.${String(part)}`)).join("");
}
