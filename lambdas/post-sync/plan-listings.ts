// PostSync step 2: which directories' listings may have changed. Every directory holding a changed key,
// and its ancestors up to the site's root (a new or emptied subdirectory changes its parent's listing).
// Rewrite copies of a directory get their listing when the directory's is generated. Written in pages for
// the Map state that generates them.
import type { S3Client } from "@aws-sdk/client-s3";
import { getChangePage, listingPageKey, putJson } from "../../aws/version-store.ts";
import { prefixDir, splitKey } from "../../core/keys.ts";

export const DIRECTORIES_PER_PAGE = 200;

export interface PlanListingsInput {
  runId: string;
  prefix: string;
  changePages: number;
}

export async function planListings(
  input: PlanListingsInput,
  deps: { s3: S3Client; versionBucket: string },
): Promise<{ pages: number[]; directories: number }> {
  const root = prefixDir(input.prefix);
  const dirs = new Set<string>();
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
