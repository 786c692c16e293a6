// What the site's .htaccess files become at the edge and in PostSync: one JSON document (the contract
// below), written by the agent on every run (aws/edge-rules-store.ts, EDGE_RULES_KEY) and read by PostSync, which
// turns it into CloudFront KeyValueStore entries (redirects), the site-wide error page, and the per-directory
// listing policy (DirectoryIndex, Indexes).
//
//   agent:    parseHtaccess(text, dir) for every .htaccess → buildEdgeRules(files, options)
//             → { rules, problems } → report problems (file:line) → putEdgeRules(s3, versionBucket, rules)
//   PostSync: getEdgeRules() → keyValueStoreEntries(rules) → UpdateKeys (only what differs)
//             error page: errorPageSource(rules); listings: directoryIndexFor / indexesEnabled
//
// Limits, stated and checked here (CloudFront quotas, "Quotas on CloudFront Functions" and KeyValueStore:
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html, and the
// key-value file format:
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/kvs-with-functions-create-s3-kvp.html):
// a key value store holds at most 5 MB, a key at most 512 bytes, a value at most 1 KB; a function's code
// at most 10 KB.
//
// Key value store layout (keys prefixed by their kind, values compact JSON):
//   "x"                  {"v":1,"d":<most segments of any Redirect URL-path>,"m":{"<scope>":<chunks>}}
//   "p" + URL-path       [[rank, status, scope, target?], …]   Redirect rules matching that URL-path prefix
//   "m" + scope + "#" + n [[rank, status, pattern, target?], …] RedirectMatch rules of one .htaccess, chunked
// rank orders every rule as Apache tries them: the deepest .htaccess first (mod_alias merges a
// subdirectory's redirects before its parent's), then line order; the lowest matching rank wins.
import * as z from "zod/mini";
import type { HtaccessDirective, ParsedHtaccess } from "./htaccess.ts";

export const EDGE_LIMITS = {
  keyValueStoreBytes: 5 * 1024 * 1024,
  keyBytes: 512,
  valueBytes: 1024,
  functionBytes: 10 * 1024,
} as const;

/**
 * The bucket key of the error page PostSync keeps: a copy of the site's error page, or a plain page. The
 * distribution's custom error responses serve it; no site file has this key: the agent never publishes a
 * tree's .sitesync folder (core/dot-files.ts).
 */
export const ERROR_PAGE_KEY = ".sitesync/404.html";

/**
 * The sitesync-version of a directory marker, the object PostSync keeps at "docs" for a directory docs/
 * (lambdas/post-sync/generate-listings.ts): what the viewer-response function looks for, and what tells
 * adoption that the object is the stack's own, not a site file.
 */
export const DIRECTORY_MARKER_VERSION = "directory";

/** Directory pages tried in order when a directory has no DirectoryIndex of its own (Apache's mod_dir). */
export const DEFAULT_DIRECTORY_INDEX = ["index.html", "index.htm"];
/** The site file served for a missing page when no .htaccess names one (relative to the site's prefix). */
export const DEFAULT_ERROR_PAGE = "404.html";

const redirect = z.object({
  /** Where it was written: "docs/.htaccess:3". */
  source: z.string(),
  /** The URL path of the .htaccess's directory, with slashes at both ends: "/" or "/docs/". */
  scope: z.string(),
  match: z.enum(["prefix", "regex"]),
  /** The URL-path prefix (prefix) or the regular expression (regex). */
  from: z.string(),
  status: z.int(),
  to: z.optional(z.string()),
});

const errorPage = z.union([
  z.object({ type: z.literal("key"), key: z.string(), source: z.string() }),
  z.object({ type: z.literal("text"), text: z.string(), source: z.string() }),
]);

export const edgeRulesContract = z.object({
  version: z.literal(1),
  redirects: z.array(redirect),
  errorPage,
  directoryIndex: z.object({
    default: z.array(z.string()),
    dirs: z.array(z.object({ dir: z.string(), names: z.array(z.string()), source: z.string() })),
  }),
  indexes: z.array(z.object({ dir: z.string(), enabled: z.boolean(), source: z.string() })),
});

export type EdgeRules = z.output<typeof edgeRulesContract>;
export type EdgeRedirect = EdgeRules["redirects"][number];

export interface EdgeProblem {
  /** "docs/.htaccess:3", or "(edge)" for a limit of the whole store. */
  source: string;
  reason: string;
}

export interface EdgeOptions {
  /** The site's key prefix in the bucket ("" or "www/"). */
  prefix?: string;
  /** The site file served for missing pages unless the root .htaccess says otherwise (default 404.html). */
  errorPage?: string;
  /** The directory pages tried in order (default index.html, index.htm). */
  directoryIndex?: string[];
}

/** The rules of a site without any .htaccess: its 404.html as the error page, the default index pages. */
export function defaultEdgeRules(options: EdgeOptions = {}): EdgeRules {
  return buildEdgeRules([], options).rules;
}

/**
 * The edge rules of a site from all of its parsed .htaccess files (in any order), and every directive that
 * cannot take effect as written, by file and line. The parser's own `unsupported` lists are not repeated
 * here: the agent reports those and these.
 */
export function buildEdgeRules(
  files: ParsedHtaccess[],
  options: EdgeOptions = {},
): { rules: EdgeRules; problems: EdgeProblem[] } {
  const prefix = options.prefix ?? "";
  const problems: EdgeProblem[] = [];
  const where = (file: ParsedHtaccess, line: number) => `${file.dir === "" ? "" : `${file.dir}/`}.htaccess:${line}`;
  const keyDir = (dir: string) => [prefix.replace(/\/+$/, ""), dir].filter((part) => part !== "").join("/");
  // Apache tries a deeper .htaccess's redirects before its parents' (mod_alias's merge puts the override
  // first); files of equal depth never both apply to one URL, so their order between them does not matter.
  const ordered = [...files].sort((a, b) => depth(b.dir) - depth(a.dir) || (a.dir < b.dir ? -1 : 1));
  const redirects: EdgeRedirect[] = [];
  let errorPage: EdgeRules["errorPage"] = {
    type: "key",
    key: `${prefix}${options.errorPage ?? DEFAULT_ERROR_PAGE}`,
    source: "default",
  };
  const rootErrorPages: Array<{ page: EdgeRules["errorPage"]; at: string }> = [];
  const deeperErrorPages: Array<{ page: EdgeRules["errorPage"]; at: string }> = [];
  const directoryIndex: EdgeRules["directoryIndex"]["dirs"] = [];
  const indexes: EdgeRules["indexes"] = [];
  for (const file of ordered) {
    const scope = `/${keyDir(file.dir)}${keyDir(file.dir) === "" ? "" : "/"}`;
    let names: string[] | undefined;
    let namesAt = "";
    let listing: { enabled: boolean; at: string } | undefined;
    for (const d of file.directives) {
      const at = where(file, d.line);
      switch (d.kind) {
        case "redirect":
        case "redirectMatch": {
          const rule = edgeRedirect(d, scope, at);
          if (typeof rule === "string") problems.push({ source: at, reason: rule });
          else redirects.push(rule);
          break;
        }
        case "errorDocument": {
          const page: EdgeRules["errorPage"] =
            d.target.type === "default"
              ? { type: "key", key: `${prefix}${options.errorPage ?? DEFAULT_ERROR_PAGE}`, source: at }
              : d.target.type === "text"
                ? { type: "text", text: d.target.text, source: at }
                : { type: "key", key: safeDecode(d.target.path.slice(1)), source: at };
          (file.dir === "" ? rootErrorPages : deeperErrorPages).push({ page, at });
          break;
        }
        case "directoryIndex":
          // Within one file DirectoryIndex lines add to the list; "disabled" empties it (Apache 2.4).
          names = d.names.length === 0 ? [] : [...(names ?? []), ...d.names];
          namesAt = at;
          break;
        case "indexes":
          listing = { enabled: d.enabled, at };
          break;
      }
    }
    if (names !== undefined) directoryIndex.push({ dir: keyDir(file.dir), names, source: namesAt });
    if (listing) indexes.push({ dir: keyDir(file.dir), enabled: listing.enabled, source: listing.at });
  }
  const root = rootErrorPages.at(-1);
  if (root) errorPage = root.page;
  for (const deeper of deeperErrorPages) {
    if (samePage(deeper.page, errorPage)) continue;
    problems.push({
      source: deeper.at,
      reason:
        "a per-directory ErrorDocument 404 is not carried over: CloudFront has one error page per distribution " +
        "and its functions never see an origin's 404; this directory gets the site-wide error page",
    });
  }
  const rules: EdgeRules = {
    version: 1,
    redirects,
    errorPage,
    directoryIndex: { default: options.directoryIndex ?? DEFAULT_DIRECTORY_INDEX, dirs: directoryIndex },
    indexes,
  };
  const { problems: limits } = keyValueStoreEntries(rules);
  return { rules, problems: [...problems, ...limits] };
}

function edgeRedirect(
  d: Extract<HtaccessDirective, { kind: "redirect" | "redirectMatch" }>,
  scope: string,
  source: string,
): EdgeRedirect | string {
  const target = d.to === undefined ? {} : { to: d.to };
  if (d.kind === "redirectMatch")
    return { source, scope, match: "regex", from: d.pattern, status: d.status, ...target };
  // An .htaccess is read only for requests inside its directory: a URL-path outside it never matches there.
  const reachable = d.from.startsWith(scope) || scope.startsWith(d.from.endsWith("/") ? d.from : `${d.from}/`);
  if (!reachable) {
    return `Redirect ${d.from} never applies: this .htaccess is read only for URLs under ${scope}`;
  }
  return { source, scope, match: "prefix", from: d.from, status: d.status, ...target };
}

function samePage(a: EdgeRules["errorPage"], b: EdgeRules["errorPage"]): boolean {
  return a.type === b.type && (a.type === "key" ? a.key === (b as typeof a).key : a.text === (b as typeof a).text);
}

function depth(dir: string): number {
  return dir === "" ? 0 : dir.split("/").length;
}

function safeDecode(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

const bytes = (s: string) => Buffer.byteLength(s, "utf8");

/**
 * The key value store's entries for `rules` (layout at the top of this file), and every limit they break:
 * a rule whose key or value is too large is left out and reported; past the store's total, nothing more
 * is added.
 */
export function keyValueStoreEntries(rules: EdgeRules): { entries: Map<string, string>; problems: EdgeProblem[] } {
  const problems: EdgeProblem[] = [];
  const entries = new Map<string, string>();
  const prefixRules = new Map<string, unknown[][]>();
  const regexRules = new Map<string, unknown[][]>();
  let maxSegments = 0;
  rules.redirects.forEach((rule, rank) => {
    const row: unknown[] = [rank, rule.status];
    if (rule.match === "prefix") {
      const key = `p${rule.from}`;
      if (bytes(key) > EDGE_LIMITS.keyBytes) {
        problems.push({ source: rule.source, reason: `its URL-path is longer than a key may be (512 bytes)` });
        return;
      }
      const list = prefixRules.get(key) ?? [];
      list.push([...row, rule.scope, ...(rule.to === undefined ? [] : [rule.to])]);
      prefixRules.set(key, list);
      maxSegments = Math.max(maxSegments, segments(rule.from));
    } else {
      const list = regexRules.get(rule.scope) ?? [];
      list.push([...row, rule.from, ...(rule.to === undefined ? [] : [rule.to]), rule.source]);
      regexRules.set(rule.scope, list);
    }
  });
  for (const [key, list] of prefixRules) {
    const value = JSON.stringify(list);
    if (bytes(value) > EDGE_LIMITS.valueBytes) {
      problems.push({ source: "(edge)", reason: `the Redirect rules for ${key.slice(1)} take more than 1 KB` });
      continue;
    }
    entries.set(key, value);
  }
  const chunks: Record<string, number> = {};
  for (const [scope, list] of regexRules) {
    let chunk: unknown[][] = [];
    let n = 0;
    const flush = () => {
      if (chunk.length === 0) return;
      entries.set(`m${scope}#${n++}`, JSON.stringify(chunk));
      chunk = [];
    };
    for (const row of list) {
      const source = String(row.pop());
      if (bytes(JSON.stringify([row])) > EDGE_LIMITS.valueBytes) {
        problems.push({ source, reason: "a RedirectMatch rule takes more than 1 KB" });
        continue;
      }
      if (bytes(JSON.stringify([...chunk, row])) > EDGE_LIMITS.valueBytes) flush();
      chunk.push(row);
    }
    flush();
    if (n > 0) chunks[scope] = n;
    if (bytes(`m${scope}#${n}`) > EDGE_LIMITS.keyBytes) {
      problems.push({
        source: "(edge)",
        reason: `the directory ${scope} is too long a key for its RedirectMatch rules`,
      });
    }
  }
  if (entries.size > 0) {
    const index = JSON.stringify({ v: 1, d: maxSegments, m: chunks });
    if (bytes(index) > EDGE_LIMITS.valueBytes) {
      problems.push({
        source: "(edge)",
        reason: `RedirectMatch rules in ${Object.keys(chunks).length} directories: their index exceeds 1 KB`,
      });
    }
    entries.set("x", index);
  }
  const total = [...entries].reduce((sum, [k, v]) => sum + bytes(k) + bytes(v), 0);
  if (total > EDGE_LIMITS.keyValueStoreBytes) {
    problems.push({ source: "(edge)", reason: `the redirects take ${total} bytes, more than the 5 MB a store holds` });
  }
  return { entries, problems };
}

/** "/" → 1, "/a" → 1, "/a/" → 1, "/a/b" → 2: how many path segments a URL-path prefix spans. */
function segments(path: string): number {
  return Math.max(1, path.replace(/\/+$/, "").split("/").length - 1);
}

/** The directory pages of `dir` (a bucket directory, no trailing slash), in the order they are tried. */
export function directoryIndexFor(rules: EdgeRules, dir: string): string[] {
  return nearest(rules.directoryIndex.dirs, dir)?.names ?? rules.directoryIndex.default;
}

/** Whether `dir` may get a generated listing: Options -Indexes there or above says no. */
export function indexesEnabled(rules: EdgeRules, dir: string): boolean {
  return nearest(rules.indexes, dir)?.enabled ?? true;
}

function nearest<T extends { dir: string }>(list: T[], dir: string): T | undefined {
  let best: T | undefined;
  for (const entry of list) {
    const applies = entry.dir === "" || dir === entry.dir || dir.startsWith(`${entry.dir}/`);
    if (applies && (best === undefined || entry.dir.length > best.dir.length)) best = entry;
  }
  return best;
}

/** The part of the rules a directory's listing depends on, to find directories whose listing must be redone. */
export function listingPolicy(rules: EdgeRules): Record<string, string> {
  const policy: Record<string, string> = { "(default)": JSON.stringify(rules.directoryIndex.default) };
  for (const d of rules.directoryIndex.dirs) policy[`index:${d.dir}`] = JSON.stringify(d.names);
  for (const d of rules.indexes) policy[`indexes:${d.dir}`] = String(d.enabled);
  return policy;
}

/**
 * The directories (bucket directories, "" for the root) whose listing policy differs between two policies:
 * each of them and everything below it needs its listing decided again.
 */
export function changedListingScopes(before: Record<string, string> | undefined, after: Record<string, string>) {
  const scopes = new Set<string>();
  const keys = new Set([...Object.keys(before ?? {}), ...Object.keys(after)]);
  for (const key of keys) {
    if (before?.[key] === after[key]) continue;
    scopes.add(key === "(default)" ? "" : key.slice(key.indexOf(":") + 1));
  }
  // A scope inside another one is covered by it.
  return [...scopes].filter((s) => ![...scopes].some((o) => o !== s && (o === "" || s.startsWith(`${o}/`)))).sort();
}
