// PostSync step 3: for one page of directories, write (or remove) the directory's page at index.html —
// what the viewer-request function serves for "/dir/" — and the directory's marker.
//
//  directory holds                               | decision
//  ----------------------------------------------+------------------------------------------------------
//  a real index.html (a site file)               | leave it alone: a real page always wins
//  another page of its DirectoryIndex list       | a copy of the first one present (index.htm by default),
//    (index.htm, or an .htaccess's names)        |   recorded like a listing, rewritten when it changes
//  nothing but a generated index.html            | remove the generated page and its copies
//  entries under Options -Indexes                | no listing: remove a generated one; "/dir/" is a 404
//  entries, listing identical to the last one    | nothing to write, nothing to invalidate
//  entries, listing new or different             | write the page (and its rewrite copies), record it
//
// Directory markers: every directory with entries has a tiny object at its own key without the slash
// ("docs" for docs/), which the viewer-response function turns into a 301 to "/docs/"; an emptied
// directory loses it. A marker never replaces or removes an object that is not a marker (a file "docs"
// the index holds, which a POSIX tree cannot have beside a folder "docs", is left alone and reported).
//
// The index is read in pages (subdirectories first, then files), so a directory of hundreds of thousands
// of entries costs several Queries, never one oversized read. A page of directories is worked through a few
// at a time, and no directory starts once half of the invocation's time is gone: the rest of the page is
// handed to the next invocation (`next`), so a page of large directories never meets the function's timeout.
// The generated page is an index item marked generated, so the agent treats a real index.html as replacing
// it and never deletes it as a site file.
import { createHash } from "node:crypto";
import { getEdgeRules } from "../../aws/edge-rules-store.ts";
import { getFile, getFiles, putListing, queryDirectory, removeListing } from "../../aws/index/files.ts";
import {
  copyToSite,
  deleteSiteObjects,
  headSiteObject,
  MULTIPART_COPY,
  putSiteObject,
  siteObject,
} from "../../aws/site-bucket.ts";
import { getJson, listingPageKey, listingResultKey, putJson, readStagedBytes } from "../../aws/version-store.ts";
import { mapLimitWhile } from "../../core/concurrency.ts";
import {
  DIRECTORY_MARKER_VERSION,
  defaultEdgeRules,
  directoryIndexFor,
  type EdgeRules,
  indexesEnabled,
} from "../../core/edge-rules.ts";
import {
  listingOrder,
  renderListingFoot,
  renderListingHead,
  renderListingRows,
  type ListingEntry,
} from "../../core/index-page.ts";
import { joinKey, prefixDir, splitKey } from "../../core/keys.ts";
import type { DesiredPut } from "../../core/index-record.ts";
import { mtimeFromNs } from "../../core/mtime.ts";
import { cacheControlFor, rewriteCopies } from "../../core/publish-rules.ts";
import { type Invocation, UNLIMITED } from "../entry.ts";
import type { SiteDeps } from "../site-deps.ts";

export const LISTING_CONTENT_TYPE = "text/html; charset=utf-8";
const INDEX = "index.html";
/** Directories of a page generated at once: each is a few reads and writes, mostly waiting on the services. */
export const DIRECTORIES_AT_ONCE = 8;

export interface GenerateListingsDeps extends SiteDeps {
  now?: () => Date;
}

export interface GenerateListingsInput {
  runId: string;
  prefix: string;
  page: number;
  /** The page's first directory this invocation works on: the `next` of the invocation before. */
  from?: number;
}

export type ListingOutcome = "written" | "unchanged" | "removed" | "real-page" | "empty" | "no-listing";

export async function generateListings(
  input: GenerateListingsInput,
  deps: GenerateListingsDeps,
  invocation: Invocation = UNLIMITED,
): Promise<{ changed: string[]; outcomes: Record<ListingOutcome, number>; next: number | null }> {
  const reserve = invocation.remainingMs() / 2;
  const dirs = await getJson<string[]>(deps.s3, deps.versionBucket, listingPageKey(input.runId, input.page));
  const from = input.from ?? 0;
  const outcomes: Record<ListingOutcome, number> = {
    written: 0,
    unchanged: 0,
    removed: 0,
    "real-page": 0,
    empty: 0,
    "no-listing": 0,
  };
  const rules = (await getEdgeRules(deps.s3, deps.versionBucket)) ?? defaultEdgeRules({ prefix: input.prefix });
  // At least one directory per invocation, so that every invocation moves the page on.
  const done = await mapLimitWhile(
    dirs.slice(from),
    DIRECTORIES_AT_ONCE,
    (i) => i === 0 || invocation.remainingMs() >= reserve,
    (dir) => generateListing(dir, input, deps, rules),
  );
  const earlier =
    from === 0
      ? []
      : (await getJson<{ changed: string[] }>(deps.s3, deps.versionBucket, listingResultKey(input.runId, input.page)))
          .changed;
  const changed = new Set(earlier);
  for (const { outcome, pages } of done) {
    outcomes[outcome] += 1;
    for (const page of pages) changed.add(page);
  }
  // Written after each invocation, so that what a later one adds never loses what an earlier one changed.
  await putJson(deps.s3, deps.versionBucket, listingResultKey(input.runId, input.page), { changed: [...changed] });
  const reached = from + done.length;
  return { changed: [...changed], outcomes, next: reached < dirs.length ? reached : null };
}

interface DirectoryContents {
  dirs: ListingEntry[];
  files: ListingEntry[];
  /** The directory's files as the index desires them, for its DirectoryIndex pages. */
  desired: Map<string, DesiredPut>;
  realIndex: boolean;
  /** The listing the index records: its content hash, rewrite copies and the run that wrote it. */
  generated?: { hash: string; copies: string[]; run: string | undefined };
}

async function readDirectory(dir: string, deps: GenerateListingsDeps): Promise<DirectoryContents> {
  const contents: DirectoryContents = { dirs: [], files: [], desired: new Map(), realIndex: false };
  for await (const entries of queryDirectory(deps.dynamodb, deps.table, dir, true)) {
    for (const entry of entries) {
      if (entry.kind === "dir") {
        contents.dirs.push({ name: entry.name, kind: "dir" });
        continue;
      }
      const { name, file } = entry;
      if (name === INDEX && file.generated) {
        contents.generated = {
          hash: entry.listingHash ?? "",
          copies: file.published?.copies ?? [],
          run: file.published?.run,
        };
        continue;
      }
      if (file.desired.op !== "put") continue; // being deleted: no longer part of the listing
      if (name === INDEX) contents.realIndex = true;
      contents.files.push({ name, kind: "file", size: file.desired.size, mtime: file.desired.mtime });
      if (!file.generated) contents.desired.set(name, file.desired);
    }
  }
  return contents;
}

async function generateListing(
  dir: string,
  input: GenerateListingsInput,
  deps: GenerateListingsDeps,
  rules: EdgeRules,
): Promise<{ outcome: ListingOutcome; pages: string[] }> {
  const contents = await readDirectory(dir, deps);
  await keepMarkers(dir, contents.dirs.length + contents.files.length > 0, input, deps);
  const pageKey = joinKey(dir, INDEX);
  const relKey = pageKey.slice(input.prefix.length);
  const copies = await unownedCopies(rewriteCopies(relKey, input.prefix, deps.rules), pageKey, deps);
  const pageDirs = (keys: string[]) => keys.map((k) => k.slice(0, -`/${INDEX}`.length));
  if (contents.realIndex) return { outcome: "real-page", pages: [] };

  const pageName = directoryIndexFor(rules, dir).find((name) => name !== INDEX && contents.desired.has(name));
  if (pageName !== undefined) {
    return copyDirectoryPage(dir, pageName, contents, { pageKey, relKey, copies, pageDirs }, input, deps);
  }
  const entries = listingOrder([...contents.dirs, ...contents.files]);
  const listed = indexesEnabled(rules, dir);
  if (entries.length === 0 || !listed) {
    const none = entries.length === 0 ? "empty" : "no-listing";
    if (!contents.generated) return { outcome: none, pages: [] };
    const earlier = await unownedCopies(contents.generated.copies, pageKey, deps);
    const gone = [pageKey, ...new Set([...earlier, ...copies])];
    await deleteSiteObjects(deps.s3, deps.siteBucket, gone);
    await removeListing(deps.dynamodb, deps.table, pageKey);
    return { outcome: "removed", pages: pageDirs(gone) };
  }

  const shownDir = dir.slice(prefixDir(input.prefix).length).replace(/^\//, "");
  const body = Buffer.from(renderListingHead(shownDir) + renderListingRows(entries) + renderListingFoot(), "utf8");
  const hash = createHash("sha256").update(body).digest("hex");
  if (contents.generated?.hash === hash) return alreadyThere(contents.generated, input, pageDirs([pageKey, ...copies]));

  const now = deps.now?.() ?? new Date();
  const desired: DesiredPut = {
    op: "put",
    version: `listing-${input.runId}`,
    run: input.runId,
    size: body.length,
    mtime: mtimeFromNs(BigInt(now.getTime()) * 1_000_000n),
    contentType: LISTING_CONTENT_TYPE,
    source: { key: "" },
  };
  const page = { ...siteObject(desired, cacheControlFor(relKey, deps.rules)), generated: true };
  await Promise.all(
    [pageKey, ...copies].map((key) =>
      putSiteObject(deps.s3, deps.siteBucket, key, body, key === pageKey ? page : { ...page, copyOf: pageKey }),
    ),
  );
  const published = { version: desired.version, at: now.toISOString(), run: input.runId, copies };
  const listing = { key: pageKey, desired, published, hash };
  // A real index.html indexed meanwhile wins (see keepRealPage).
  if (!(await putListing(deps.dynamodb, deps.table, listing))) {
    await keepRealPage(pageKey, relKey, deps);
    return { outcome: "real-page", pages: pageDirs([pageKey]) };
  }
  return { outcome: "written", pages: pageDirs([pageKey, ...copies]) };
}

/**
 * The page the index records is the one to write. Unchanged — unless this run wrote it, in an invocation
 * whose result was lost before it was stored (a retried invocation): then it is still this run's change,
 * and its paths are invalidated.
 */
function alreadyThere(
  generated: NonNullable<DirectoryContents["generated"]>,
  input: GenerateListingsInput,
  pages: string[],
): { outcome: ListingOutcome; pages: string[] } {
  return generated.run === input.runId ? { outcome: "written", pages } : { outcome: "unchanged", pages: [] };
}

interface PagePlace {
  pageKey: string;
  relKey: string;
  copies: string[];
  pageDirs: (keys: string[]) => string[];
}

/**
 * The directory's first DirectoryIndex page other than index.html (index.htm by default), copied in the
 * bucket to index.html, where the viewer-request function serves "/dir/" from. Recorded like a listing,
 * with the source's name and version as its hash, so it is copied again only when that page changes.
 */
async function copyDirectoryPage(
  dir: string,
  name: string,
  contents: DirectoryContents,
  page: PagePlace,
  input: GenerateListingsInput,
  deps: GenerateListingsDeps,
): Promise<{ outcome: ListingOutcome; pages: string[] }> {
  const source = contents.desired.get(name)!;
  const hash = `copy:${name}:${source.version}`;
  if (contents.generated?.hash === hash) {
    return alreadyThere(contents.generated, input, page.pageDirs([page.pageKey, ...page.copies]));
  }
  const now = deps.now?.() ?? new Date();
  const desired: DesiredPut = {
    op: "put",
    version: `listing-${input.runId}`,
    run: input.runId,
    size: source.size,
    mtime: source.mtime,
    contentType: source.contentType,
    source: { key: "" },
  };
  const object = { ...siteObject(desired, cacheControlFor(page.relKey, deps.rules)), generated: true };
  const from = { bucket: deps.siteBucket, key: joinKey(dir, name), size: source.size };
  await Promise.all(
    [page.pageKey, ...page.copies].map((key) =>
      copyToSite(
        deps.s3,
        deps.siteBucket,
        key,
        from,
        key === page.pageKey ? object : { ...object, copyOf: page.pageKey },
        MULTIPART_COPY,
      ),
    ),
  );
  const published = { version: desired.version, at: now.toISOString(), run: input.runId, copies: page.copies };
  if (!(await putListing(deps.dynamodb, deps.table, { key: page.pageKey, desired, published, hash }))) {
    await keepRealPage(page.pageKey, page.relKey, deps);
    return { outcome: "real-page", pages: page.pageDirs([page.pageKey]) };
  }
  return { outcome: "written", pages: page.pageDirs([page.pageKey, ...page.copies]) };
}

/** The directory's marker, and its rewrite copies' (see the top of this file). */
async function keepMarkers(
  dir: string,
  exists: boolean,
  input: GenerateListingsInput,
  deps: GenerateListingsDeps,
): Promise<void> {
  if (dir === "" || dir === prefixDir(input.prefix)) return; // the site's root has no name to redirect from
  const relDir = dir.slice(input.prefix.length);
  const keys = [dir, ...rewriteCopies(`${relDir}/`, input.prefix, deps.rules).map((k) => k.slice(0, -1))];
  for (const key of keys) {
    const head = await headSiteObject(deps.s3, deps.siteBucket, key);
    if (exists && head === undefined) {
      const owner = await getFile(deps.dynamodb, deps.table, key);
      if (owner && !owner.generated && owner.desired.op === "put") {
        const msg = "a directory marker would replace a file the index holds; left alone";
        console.warn(JSON.stringify({ level: "warn", msg, key }));
        continue;
      }
      const now = deps.now?.() ?? new Date();
      const marker = {
        contentType: "text/html; charset=utf-8",
        cacheControl: "public, max-age=300",
        mtime: mtimeFromNs(BigInt(now.getTime()) * 1_000_000n),
        version: DIRECTORY_MARKER_VERSION,
      };
      await putSiteObject(deps.s3, deps.siteBucket, key, Buffer.from(markerPage(key), "utf8"), marker);
    } else if (!exists && head?.version === DIRECTORY_MARKER_VERSION) {
      await deleteSiteObjects(deps.s3, deps.siteBucket, [key]);
    }
  }
}

/** The marker's body, also the body of the 301 CloudFront sends for it. */
export function markerPage(key: string): string {
  const name = splitKey(key).name;
  const shown = name.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return (
    '<!DOCTYPE html>\n<html lang="en">\n<head><meta charset="utf-8"><title>Moved</title></head>\n' +
    `<body><p>This is a folder: <a href="${encodeURIComponent(name)}/">${shown}/</a></p></body>\n</html>\n`
  );
}

/**
 * The rewrite copies of a listing that may be written or removed: a key the index holds for itself (a real
 * index.html there, or that directory's own listing) is never overwritten or deleted by a copy.
 */
async function unownedCopies(copies: string[], pageKey: string, deps: GenerateListingsDeps): Promise<string[]> {
  if (copies.length === 0) return copies;
  const owners = await getFiles(deps.dynamodb, deps.table, copies);
  return copies.filter((copy) => {
    if (owners.get(copy) === undefined) return true;
    const msg = "a listing's rewrite copy would replace a page of its own; left alone";
    console.warn(JSON.stringify({ level: "warn", msg, key: pageKey, copy }));
    return false;
  });
}

/**
 * A real index.html was indexed while we wrote the listing. If its upload already happened, our PUT may
 * have landed on top of it: put the real page back from its staged bytes. (If it is not yet published,
 * its own upload is still to come and will win.)
 */
async function keepRealPage(pageKey: string, relKey: string, deps: GenerateListingsDeps): Promise<void> {
  const real = await getFile(deps.dynamodb, deps.table, pageKey);
  if (!real || real.generated || real.desired.op !== "put" || real.published?.version !== real.desired.version) return;
  if (real.desired.source.key === "") return;
  const body = await readStagedBytes(deps.s3, deps.versionBucket, real.desired.source);
  const object = siteObject(real.desired, cacheControlFor(relKey, deps.rules));
  await putSiteObject(deps.s3, deps.siteBucket, pageKey, body, object);
}
