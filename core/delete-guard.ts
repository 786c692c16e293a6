// The mass-deletion guard: whether a planned set of deletions looks like an accident (an unmounted volume,
// a wiped sub-volume, a restore pointed at the wrong place) rather than an edit. Pure; every command that
// deletes from the site or the tree (sync, adopt --delete, restore --delete) asks it before changing
// anything, and refuses with its message unless forced.
//
//  condition (forced runs skip every row)                             | verdict
//  -------------------------------------------------------------------+---------------------------------
//  no deletions                                                       | allowed
//  every file would go (deleted = total > 0)                          | refused: "holds no files"
//  deletions > minFiles and deletions / total > maxShare              | refused: share of the whole
//  a top-level directory with ≥ minDirectoryFiles files loses more    | refused: that directory vanished
//    than maxShare of them                                            |   (an unmounted sub-volume)
//  otherwise                                                          | allowed
//
// The directory row exists because a sub-volume holding 45% of the site, unmounted, stays under a 50%
// global share yet empties a whole section of the site.

export interface DeleteGuardSettings {
  maxShare: number;
  minFiles: number;
  minDirectoryFiles: number;
}

/** Counts under one top-level directory ("" for files at the top itself). */
export interface DirectoryTally {
  total: number;
  deleted: number;
}

export interface DeletePlan {
  /** Files there now (published, or on disk for a restore). */
  total: number;
  deleted: number;
  /** Per top-level directory. */
  directories: ReadonlyMap<string, DirectoryTally>;
  /** What the deletions are about, for the message: "the site", "the tree under docs/". */
  subject: string;
  /** Where the files were looked for, for the "holds no files" message. */
  source: string;
}

export type GuardVerdict = { allowed: true } | { allowed: false; reason: string };

const percent = (share: number) => `${(share * 100).toFixed(1)}%`;

export function judgeDeletions(plan: DeletePlan, settings: DeleteGuardSettings): GuardVerdict {
  // Stryker disable next-line ConditionalExpression: equivalent, with no deletions every later row allows too
  if (plan.deleted === 0) return { allowed: true };
  // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent, deleted > 0 and <= total here
  if (plan.deleted >= plan.total && plan.total > 0) {
    return {
      allowed: false,
      reason: `${plan.source} holds no files of the ${plan.total} of ${plan.subject}: is the volume mounted?`,
    };
  }
  const share = plan.deleted / Math.max(1, plan.total);
  if (plan.deleted > settings.minFiles && share > settings.maxShare) {
    return {
      allowed: false,
      reason:
        `this would delete ${plan.deleted} of ${plan.total} files of ${plan.subject} (${percent(share)}), ` +
        `more than deleteGuard.maxShare (${percent(settings.maxShare)})`,
    };
  }
  // Stryker disable next-line EqualityOperator: equivalent, a map's keys never compare equal
  for (const [dir, tally] of [...plan.directories].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (dir === "" || tally.total < settings.minDirectoryFiles) continue;
    const dirShare = tally.deleted / tally.total;
    if (dirShare > settings.maxShare) {
      return {
        allowed: false,
        reason:
          `this would delete ${tally.deleted} of ${tally.total} files under ${dir}/ (${percent(dirShare)}): ` +
          `a whole directory vanishing looks like an unmounted volume (deleteGuard.minDirectoryFiles ` +
          `${settings.minDirectoryFiles}, maxShare ${percent(settings.maxShare)})`,
      };
    }
  }
  return { allowed: true };
}

/** The top-level directory of a site-relative path ("" for a file at the top). */
export function topLevelDirectory(relPath: string): string {
  const slash = relPath.indexOf("/");
  // Stryker disable next-line EqualityOperator: equivalent, a slash at 0 slices to "" as well
  return slash < 0 ? "" : relPath.slice(0, slash);
}

/** Accumulates a DeletePlan's per-directory tallies as files are seen. */
export class DeletionTally {
  total = 0;
  deleted = 0;
  readonly directories = new Map<string, DirectoryTally>();

  count(relPath: string, deleted: boolean): void {
    const dir = topLevelDirectory(relPath);
    let tally = this.directories.get(dir);
    if (!tally) {
      tally = { total: 0, deleted: 0 };
      this.directories.set(dir, tally);
    }
    tally.total++;
    this.total++;
    if (deleted) {
      tally.deleted++;
      this.deleted++;
    }
  }

  /** Takes back deletions that will not happen (a --no-delete run). */
  dropDeletions(): void {
    this.deleted = 0;
    for (const tally of this.directories.values()) tally.deleted = 0;
  }
}
