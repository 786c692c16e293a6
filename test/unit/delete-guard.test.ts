// The mass-deletion guard's table (core/delete-guard.ts), one row per line of it plus its edges.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { DeletionTally, judgeDeletions, topLevelDirectory, type DeletePlan } from "../../core/delete-guard.ts";

const SETTINGS = { maxShare: 0.5, minFiles: 20, minDirectoryFiles: 100 };

function plan(total: number, deleted: number, directories: Record<string, [number, number]> = {}): DeletePlan {
  return {
    total,
    deleted,
    directories: new Map(Object.entries(directories).map(([d, [t, x]]) => [d, { total: t, deleted: x }])),
    subject: "the site",
    source: "the tree /srv/site",
  };
}

const rows: Array<{ why: string; plan: DeletePlan; allowed: boolean; reason?: RegExp }> = [
  { why: "no deletions: allowed", plan: plan(1000, 0), allowed: true },
  {
    why: "every file would go: refused as an empty tree",
    plan: plan(1000, 1000),
    allowed: false,
    reason: /holds no files of the 1000 of the site: is the volume mounted/,
  },
  {
    why: "every file of a one-file site would go: still refused",
    plan: plan(1, 1),
    allowed: false,
    reason: /holds no files/,
  },
  {
    why: "over maxShare and over minFiles: refused",
    plan: plan(40, 24),
    allowed: false,
    reason: /delete 24 of 40 files of the site \(60\.0%\), more than deleteGuard\.maxShare \(50\.0%\)/,
  },
  { why: "over maxShare but not over minFiles: allowed", plan: plan(30, 20), allowed: true },
  { why: "exactly maxShare: allowed", plan: plan(1000, 500), allowed: true },
  {
    why: "a top-level directory of 45% vanishing under a global 50%: refused, naming it",
    plan: plan(1000, 450, { media: [450, 450], docs: [550, 0] }),
    allowed: false,
    reason: /delete 450 of 450 files under media\/ \(100\.0%\): a whole directory vanishing/,
  },
  {
    why: "a top-level directory of exactly minDirectoryFiles vanishing: refused, naming the settings",
    plan: plan(1000, 100, { media: [100, 100], docs: [900, 0] }),
    allowed: false,
    reason: /under media\/ \(100\.0%\): .* \(deleteGuard\.minDirectoryFiles 100, maxShare 50\.0%\)$/,
  },
  {
    why: "a small top-level directory vanishing: allowed (below minDirectoryFiles)",
    plan: plan(1000, 99, { old: [99, 99], docs: [901, 0] }),
    allowed: true,
  },
  {
    why: "half of a big directory going: allowed (not over maxShare)",
    plan: plan(1000, 200, { media: [400, 200], docs: [600, 0] }),
    allowed: true,
  },
  {
    why: "files at the top are not a directory",
    plan: plan(1000, 400, { "": [400, 400], docs: [600, 0] }),
    allowed: true,
  },
];

describe("mass-deletion guard: judgeDeletions", () => {
  for (const row of rows) {
    test(row.why, () => {
      const verdict = judgeDeletions(row.plan, SETTINGS);
      assert.equal(verdict.allowed, row.allowed);
      if (!verdict.allowed && row.reason) assert.match(verdict.reason, row.reason);
    });
  }

  test("of several vanishing directories the message names the first by name, whatever the counting order", () => {
    const counted = ["zeta", "media", "alpha", "docs"];
    for (const order of [counted, [...counted].reverse(), ["media", "zeta", "docs", "alpha"]]) {
      const directories = Object.fromEntries(order.map((d): [string, [number, number]] => [d, [200, 200]]));
      const verdict = judgeDeletions(plan(2000, 800, { ...directories, big: [1200, 0] }), SETTINGS);
      assert.equal(verdict.allowed, false);
      if (!verdict.allowed) assert.match(verdict.reason, /files under alpha\//);
    }
  });

  test("the tally counts per top-level directory and can take its deletions back", () => {
    const tally = new DeletionTally();
    for (const [path, deleted] of [
      ["a/x", true],
      ["a/b/y", false],
      ["top.html", true],
      ["c/z", false],
    ] as const)
      tally.count(path, deleted);
    assert.equal(tally.total, 4);
    assert.equal(tally.deleted, 2);
    assert.deepEqual(tally.directories.get("a"), { total: 2, deleted: 1 });
    assert.deepEqual(tally.directories.get(""), { total: 1, deleted: 1 });
    tally.dropDeletions();
    assert.equal(tally.deleted, 0);
    assert.deepEqual(tally.directories.get("a"), { total: 2, deleted: 0 });
    assert.equal(topLevelDirectory("a/b/c.txt"), "a");
    assert.equal(topLevelDirectory("c.txt"), "");
  });
});
