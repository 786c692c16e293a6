// Rules that belong to the deployment rather than to a file: extra copies of a prefix under other prefixes
// (rewrite copies) and Cache-Control by glob. The apply handler receives them from its environment, so the
// deployment's configuration is their one source.
import { createHash } from "node:crypto";
import picomatch from "picomatch";
import { ConfigError } from "./errors.ts";
import { normalisePrefix } from "./keys.ts";

export interface RewriteRule {
  /** Site-relative key prefix whose objects get copies, e.g. "docs/"; not "" (copies would be copied again). */
  from: string;
  /** Prefixes (site-relative) that receive a copy of each key under `from`, with `from` replaced. */
  to: string[];
}

export interface CacheControlRule {
  /** Glob over the site-relative key, picomatch syntax, e.g. "**\/*.html" or "assets/**". */
  match: string;
  value: string;
}

export interface PublishRules {
  rewrites: RewriteRule[];
  /** First matching rule wins; no match → no Cache-Control header. */
  cacheControl: CacheControlRule[];
}

export const EMPTY_PUBLISH_RULES: PublishRules = { rewrites: [], cacheControl: [] };

/**
 * Validates rules from a config file or an environment variable; `source` names it in errors and
 * `at` is where the rules sit inside it (e.g. "environments.prod.publishRules.").
 */
export function parsePublishRules(raw: unknown, source: string, at = ""): PublishRules {
  if (raw === undefined || raw === null) return EMPTY_PUBLISH_RULES;
  if (typeof raw !== "object" || Array.isArray(raw)) {
    throw new ConfigError(
      source,
      at === "" ? "publishRules" : at.slice(0, -1),
      "must be an object",
      '{"rewrites": [], "cacheControl": []}',
    );
  }
  const obj = raw as Record<string, unknown>;
  const rewrites = arrayField(obj, "rewrites", source, at).map((rule, i) =>
    parseRewrite(rule, `${at}rewrites[${i}]`, source),
  );
  const cacheControl = arrayField(obj, "cacheControl", source, at).map((rule, i) =>
    parseCacheControl(rule, `${at}cacheControl[${i}]`, source),
  );
  return { rewrites, cacheControl };
}

function arrayField(obj: Record<string, unknown>, field: string, source: string, at: string): unknown[] {
  const value = obj[field];
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    const example =
      field === "rewrites"
        ? '[{"from": "docs/", "to": ["v2/docs/"]}]'
        : '[{"match": "**/*.html", "value": "max-age=300"}]';
    throw new ConfigError(source, `${at}${field}`, "must be an array", example);
  }
  return value;
}

function parseRewrite(raw: unknown, field: string, source: string): RewriteRule {
  const example = '{"from": "docs/", "to": ["v2/docs/"]}';
  if (typeof raw !== "object" || raw === null) throw new ConfigError(source, field, "must be an object", example);
  const { from, to } = raw as Record<string, unknown>;
  if (typeof from !== "string") throw new ConfigError(source, `${field}.from`, "must be a string", example);
  if (!Array.isArray(to) || to.length === 0 || !to.every((t) => typeof t === "string" && t !== "")) {
    throw new ConfigError(source, `${field}.to`, "must be a non-empty array of non-empty prefixes", example);
  }
  const fromPrefix = normalisePrefix(from);
  const targets = (to as string[]).map(normalisePrefix);
  for (const target of targets) {
    if (target.startsWith(fromPrefix) || fromPrefix.startsWith(target)) {
      throw new ConfigError(
        source,
        `${field}.to`,
        `"${target}" overlaps "${fromPrefix}", so copies would be copied again`,
        example,
      );
    }
  }
  return { from: fromPrefix, to: targets };
}

function parseCacheControl(raw: unknown, field: string, source: string): CacheControlRule {
  const example = '{"match": "**/*.html", "value": "max-age=300"}';
  if (typeof raw !== "object" || raw === null) throw new ConfigError(source, field, "must be an object", example);
  const { match, value } = raw as Record<string, unknown>;
  if (typeof match !== "string" || match === "") {
    throw new ConfigError(source, `${field}.match`, "must be a glob", example);
  }
  if (typeof value !== "string" || value === "" || /[\r\n]/.test(value)) {
    throw new ConfigError(source, `${field}.value`, "must be a one-line header value", example);
  }
  return { match, value };
}

/**
 * The extra keys (full bucket keys) that carry a copy of `relKey`. `prefix` is the site's key prefix in
 * the bucket; rules are site-relative. Every matching rule contributes; duplicates are dropped.
 */
export function rewriteCopies(relKey: string, prefix: string, rules: PublishRules): string[] {
  const copies = new Set<string>();
  for (const rule of rules.rewrites) {
    if (!relKey.startsWith(rule.from)) continue;
    const rest = relKey.slice(rule.from.length);
    for (const target of rule.to) copies.add(`${prefix}${target}${rest}`);
  }
  return [...copies];
}

/**
 * The reverse of rewriteCopies: the keys (full bucket keys) whose copies land on `relKey`, in rule order.
 * Lets the apply handler tell a copy's key from a stale object when no index record names the key.
 */
export function originalsOf(relKey: string, prefix: string, rules: PublishRules): string[] {
  const originals = new Set<string>();
  for (const rule of rules.rewrites) {
    for (const target of rule.to) {
      if (relKey.startsWith(target)) originals.add(`${prefix}${rule.from}${relKey.slice(target.length)}`);
    }
  }
  return [...originals];
}

/** Metadata that marks an object as a rewrite copy and names its original. */
export const COPY_OF_METADATA = "sitesync-copy-of";

// S3 allows 2 KB of user metadata per object: a long key with many multi-byte characters percent-encodes to
// more than that, so such a key is named by its digest instead.
const MAX_COPY_OF_CHARS = 1024;

/** The value of COPY_OF_METADATA for a copy of `originalKey`: the key percent-encoded (headers are ASCII). */
export function copyOfValue(originalKey: string): string {
  const encoded = encodeURIComponent(originalKey);
  if (encoded.length <= MAX_COPY_OF_CHARS) return encoded;
  return `sha256:${createHash("sha256").update(originalKey).digest("hex")}`;
}

const matcherCache = new Map<string, (key: string) => boolean>();

export function cacheControlFor(relKey: string, rules: PublishRules): string | undefined {
  for (const rule of rules.cacheControl) {
    let matcher = matcherCache.get(rule.match);
    if (!matcher) {
      matcher = picomatch(rule.match, { dot: true });
      matcherCache.set(rule.match, matcher);
    }
    if (matcher(relKey)) return rule.value;
  }
  return undefined;
}
