// PostSync step 2: which directories' listings may have changed. Every directory holding a changed key,
// and its ancestors up to the site's root (a new or emptied subdirectory changes its parent's listing).
// Rewrite copies of a directory get their listing when the directory's is generated. Written in pages for
// the Map state that generates them. First the run's edge rules take effect (publish-edge.ts); every
// directory at or below one whose DirectoryIndex or Indexes setting changed is planned too.
import { getChangePage, listingPageKey, putJson } from "../../aws/version-store.ts";
import { prefixDir, splitKey } from "../../core/keys.ts";
import { directoriesBelow, type EdgeDeps, publishEdge } from "./publish-edge.ts";

export const DIRECTORIES_PER_PAGE = 200;

export interface PlanListingsInput {
  runId: string;
  prefix: string;
  changePages: number;
}

export async function planListings(
  input: PlanListingsInput,
  deps: EdgeDeps,
): Promise<{ pages: number[]; directories: number }> {
  const root = prefixDir(input.prefix);
  const dirs = new Set<string>();
  const { refreshScopes } = await publishEdge(input, deps);
  for (const scope of refreshScopes) {
    // A scope outside this site (another prefix's rules) is not this run's to redo.
    if (root !== "" && scope !== root && !scope.startsWith(`${root}/`)) continue;
    for (const dir of await directoriesBelow(scope, deps)) dirs.add(dir);
  }
  const addWithAncestors = (key: string) => {
    let { dir } = splitKey(key);
    for (;;) {
      dirs.add(dir);
      if (dir === root || dir === "") return;
      dir = splitKey(dir).dir;
    }
  };
  for (let page = 0; page < input.changePages; page++) {
    const changes = await getChangePage(deps.s3, deps.versionBucket, input.runId, page);
    for (const key of [...changes.puts, ...changes.deletes]) addWithAncestors(key);
  }
  const sorted = [...dirs].sort();
  const pages: number[] = [];
  for (let i = 0; i < sorted.length; i += DIRECTORIES_PER_PAGE) {
    await putJson(
      deps.s3,
      deps.versionBucket,
      listingPageKey(input.runId, pages.length),
      sorted.slice(i, i + DIRECTORIES_PER_PAGE),
    );
    pages.push(pages.length);
  }
  return { pages, directories: sorted.length };
}
