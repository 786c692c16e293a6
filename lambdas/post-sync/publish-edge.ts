// PostSync, at the start of PlanListings: the site's edge rules (core/edge-rules.ts) take effect.
//  - the key value store of the viewer-request function gets exactly the rules' redirects;
//  - the error page CloudFront serves for missing keys (ERROR_PAGE_KEY) becomes a copy of the site's error
//    page (the root .htaccess's ErrorDocument 404, else 404.html), or a plain page when the site has none;
//    rewritten only when its source or the source's version changed (its sitesync-version says which);
//  - directories whose listing policy (DirectoryIndex, Options Indexes) changed are returned, so that their
//    listings, and those of every directory below them, are decided again.
// An agent that wrote no rules leaves the store and the listing policy as they are and keeps the
// default error page (the site's 404.html).
import { createHash } from "node:crypto";
import { getEdgeRules, getOptionalJson, LISTING_POLICY_KEY } from "../../aws/edge-rules-store.ts";
import { type KeyValueStoreService, syncKeyValueStore } from "../../aws/edge-store.ts";
import { getFile, queryDirectory } from "../../aws/index/files.ts";
import { copyToSite, headSiteObject, MULTIPART_COPY, putSiteObject } from "../../aws/site-bucket.ts";
import { putJson } from "../../aws/version-store.ts";
import {
  changedListingScopes,
  defaultEdgeRules,
  ERROR_PAGE_KEY,
  type EdgeRules,
  keyValueStoreEntries,
  listingPolicy,
} from "../../core/edge-rules.ts";
import { mtimeFromNs } from "../../core/mtime.ts";
import type { SiteDeps } from "../site-deps.ts";

export interface EdgeDeps extends SiteDeps {
  /** Absent when the environment has no distribution. */
  keyValueStore?: KeyValueStoreService;
  now?: () => Date;
}

/** Cache-Control of the error page: a changed page shows within five minutes without an invalidation. */
const ERROR_PAGE_CACHE_CONTROL = "public, max-age=300";

export async function publishEdge(
  input: { runId: string; prefix: string },
  deps: EdgeDeps,
): Promise<{ rules: EdgeRules; refreshScopes: string[]; errorPage: "written" | "unchanged" }> {
  const written = await getEdgeRules(deps.s3, deps.versionBucket);
  const rules = written ?? defaultEdgeRules({ prefix: input.prefix });
  if (written && deps.keyValueStore) {
    const { entries, problems } = keyValueStoreEntries(written);
    for (const problem of problems) {
      console.warn(JSON.stringify({ level: "warn", msg: "edge rule left out", ...problem }));
    }
    await syncKeyValueStore(deps.keyValueStore, entries);
  }
  const errorPage = await keepErrorPage(rules, deps);
  let refreshScopes: string[] = [];
  if (written) {
    const before = (await getOptionalJson(deps.s3, deps.versionBucket, LISTING_POLICY_KEY)) as
      | Record<string, string>
      | undefined;
    const after = listingPolicy(written);
    refreshScopes = changedListingScopes(before, after);
    await putJson(deps.s3, deps.versionBucket, LISTING_POLICY_KEY, after);
  }
  return { rules, refreshScopes, errorPage };
}

async function keepErrorPage(rules: EdgeRules, deps: EdgeDeps): Promise<"written" | "unchanged"> {
  const page = rules.errorPage;
  const now = deps.now?.() ?? new Date();
  const mtime = mtimeFromNs(BigInt(now.getTime()) * 1_000_000n);
  let tag: string;
  let write: () => Promise<void>;
  const file = page.type === "key" ? await getFile(deps.dynamodb, deps.table, page.key) : undefined;
  const published =
    file && !file.generated && file.desired.op === "put" && file.published?.version === file.desired.version
      ? file.desired
      : undefined;
  if (page.type === "key" && published) {
    tag = `copy:${page.key}@${published.version}`;
    const object = { contentType: published.contentType, cacheControl: ERROR_PAGE_CACHE_CONTROL, mtime, version: tag };
    const source = { bucket: deps.siteBucket, key: page.key, size: published.size };
    write = () => copyToSite(deps.s3, deps.siteBucket, ERROR_PAGE_KEY, source, object, MULTIPART_COPY);
  } else {
    const text = page.type === "text" ? page.text : "The page you asked for is not here.";
    const body = Buffer.from(plainErrorPage(text), "utf8");
    tag = `plain:${createHash("sha256").update(body).digest("hex").slice(0, 16)}`;
    const object = {
      contentType: "text/html; charset=utf-8",
      cacheControl: ERROR_PAGE_CACHE_CONTROL,
      mtime,
      version: tag,
    };
    write = () => putSiteObject(deps.s3, deps.siteBucket, ERROR_PAGE_KEY, body, object);
  }
  const head = await headSiteObject(deps.s3, deps.siteBucket, ERROR_PAGE_KEY);
  if (head?.version === tag) return "unchanged";
  await write();
  return "written";
}

/** The page served for a missing page when the site has none of its own (ErrorDocument 404 "text" too). */
export function plainErrorPage(text: string): string {
  const escaped = text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return (
    '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>Not Found</title>\n' +
    '<meta name="viewport" content="width=device-width, initial-scale=1">\n</head>\n<body>\n' +
    `<h1>Not Found</h1>\n<p>${escaped}</p>\n<p><a href="/">Home</a></p>\n</body>\n</html>\n`
  );
}

/** Every directory at or below `dir` that the index knows (bucket directories, no trailing slash). */
export async function directoriesBelow(dir: string, deps: SiteDeps): Promise<string[]> {
  const found: string[] = [];
  const pending = [dir];
  while (pending.length > 0) {
    const next = pending.pop()!;
    found.push(next);
    for await (const entries of queryDirectory(deps.dynamodb, deps.table, next)) {
      for (const entry of entries) {
        if (entry.kind === "dir") pending.push(next === "" ? entry.name : `${next}/${entry.name}`);
      }
    }
  }
  return found;
}
