// The invalidation planner: table-driven rows, and the cost in paths of typical runs.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { CLOUDFRONT_LIMITS, pathForKey, planInvalidations, type ChangedPath } from "../../core/invalidation-planner.ts";

const objects = (keys: string[]): ChangedPath[] => keys.map((key) => ({ kind: "object", key }));
const range = <T>(n: number, f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(i));

describe("invalidation planner: decision table", () => {
  const rows: Array<{
    why: string;
    changes: ChangedPath[];
    collapseAbove: number;
    maxPaths?: number;
    paths: string[];
  }> = [
    {
      why: "a few changes keep their own paths",
      changes: objects(["a.html", "docs/b.html"]),
      collapseAbove: 10,
      paths: ["/a.html", "/docs/b.html"],
    },
    {
      why: "a listing is invalidated as /dir/ and /dir/index.html",
      changes: [{ kind: "listing", dir: "docs" }],
      collapseAbove: 10,
      paths: ["/docs/", "/docs/index.html"],
    },
    {
      why: "the root listing is / and /index.html",
      changes: [{ kind: "listing", dir: "" }],
      collapseAbove: 10,
      paths: ["/", "/index.html"],
    },
    {
      why: "a directory over the threshold becomes one wildcard",
      changes: objects(range(11, (i) => `img/${i}.png`)),
      collapseAbove: 10,
      paths: ["/img/*"],
    },
    {
      why: "exactly at the threshold stays individual",
      changes: objects(range(10, (i) => `img/${i}.png`)),
      collapseAbove: 10,
      paths: range(10, (i) => `/img/${i}.png`).sort(),
    },
    {
      why: "collapsed subdirectories stay apart while within maxPaths",
      changes: objects(range(12, (d) => range(11, (i) => `blog/${d}/p${i}.html`)).flat()),
      collapseAbove: 10,
      maxPaths: 12,
      paths: range(12, (d) => `/blog/${d}/*`),
    },
    {
      why: "over maxPaths, the parent collapses",
      changes: objects(range(12, (d) => range(11, (i) => `blog/${d}/p${i}.html`)).flat()),
      collapseAbove: 10,
      maxPaths: 11,
      paths: ["/blog/*"],
    },
    {
      why: "over maxPaths, the deepest directories collapse first",
      changes: objects([...range(5, (i) => `a/b/c/${i}.html`), ...range(5, (i) => `a/${i}.html`)]),
      collapseAbove: 10,
      maxPaths: 6,
      paths: ["/a/b/c/*", ...range(5, (i) => `/a/${i}.html`)],
    },
    {
      why: "more than the threshold at the root becomes /*",
      changes: objects(range(11, (i) => `f${i}.html`)),
      collapseAbove: 10,
      paths: ["/*"],
    },
    {
      why: "the root collapses only when nothing deeper suffices",
      changes: objects([...range(8, (i) => `f${i}.html`), ...range(8, (i) => `d/${i}.html`)]),
      collapseAbove: 10,
      maxPaths: 9,
      paths: ["/d/*", ...range(8, (i) => `/f${i}.html`)],
    },
    {
      why: "a key with ~ is covered by its directory's wildcard (CloudFront refuses ~ and ignores %7E)",
      changes: objects(["js/runtime~main.js", "js/app.js", "a.html"]),
      collapseAbove: 10,
      paths: ["/js/*", "/a.html"],
    },
    { why: "duplicates count once", changes: objects(["a.html", "a.html"]), collapseAbove: 10, paths: ["/a.html"] },
    {
      why: "names are percent-encoded, * too",
      changes: objects(["docs/release notes.html", "café.html", "a*b.txt", "c++.pdf"]),
      collapseAbove: 10,
      paths: ["/a%2Ab.txt", "/caf%C3%A9.html", "/c%2B%2B.pdf", "/docs/release%20notes.html"],
    },
  ];
  for (const row of rows) {
    test(row.why, () => {
      const plan = planInvalidations(row.changes, { collapseAbove: row.collapseAbove, maxPaths: row.maxPaths ?? 100 });
      assert.deepEqual([...plan.paths].sort(), [...row.paths].sort());
    });
  }

  test("a key with a newline or # is encoded so the path is one line and no fragment", () => {
    assert.equal(pathForKey("a\nb#c?.txt"), "/a%0Ab%23c%3F.txt");
  });
});

describe("invalidation planner: batches within CloudFront's limits", () => {
  test("7,000 file paths go in batches of at most 3,000; 40 wildcards in batches of at most 15", () => {
    const changes = [
      ...objects(range(7000, (i) => `d${Math.floor(i / 7)}/f${i}.html`)),
      ...objects(range(40, (d) => range(30, (i) => `w${d}/x/${i}.css`)).flat()),
    ];
    // 1,000 directories of 7 files stay individual; at collapseAbove 29 the 40 directories of 30 collapse.
    const plan = planInvalidations(changes, { collapseAbove: 20_000, maxPaths: 100_000 });
    assert.equal(plan.paths.length, 7000 + 1200);
    const strict = planInvalidations(changes, { collapseAbove: 29, maxPaths: 100_000 });
    for (const batch of [...plan.batches, ...strict.batches]) {
      assert.ok(batch.paths.length <= CLOUDFRONT_LIMITS.maxPathsPerRequest);
      if (batch.kind === "wildcards") assert.ok(batch.paths.length <= CLOUDFRONT_LIMITS.maxWildcardsInProgress);
      if (batch.kind === "files") assert.ok(batch.paths.every((p) => !p.endsWith("*")));
    }
    assert.equal(strict.paths.filter((p) => p.endsWith("*")).length, 40);
    assert.deepEqual(
      strict.batches.filter((b) => b.kind === "wildcards").map((b) => b.paths.length),
      [15, 15, 10],
    );
    assert.deepEqual(
      plan.batches.map((b) => b.paths.length),
      [3000, 3000, 2200],
    );
  });
});

describe("invalidation planner: paths per run for typical runs (collapseAbove 10, maxPaths 100)", () => {
  const cost = (changes: ChangedPath[]) => planInvalidations(changes, { collapseAbove: 10, maxPaths: 100 });

  test("1 changed file: 1 path", () => {
    const plan = cost(objects(["docs/guide/intro.html"]));
    assert.deepEqual(plan.paths, ["/docs/guide/intro.html"]);
    console.log(`# 1 file → ${plan.paths.length} path, ${plan.batches.length} request`);
  });

  test("1 new file in a folder with a generated listing: 3 paths", () => {
    const plan = cost([...objects(["downloads/new.pdf"]), { kind: "listing", dir: "downloads" }]);
    assert.equal(plan.paths.length, 3);
  });

  test("1,000 files in one folder: 1 path", () => {
    const plan = cost(objects(range(1000, (i) => `photos/2026/img${i}.jpg`)));
    assert.deepEqual(plan.paths, ["/photos/2026/*"]);
    console.log(`# 1,000 files in one folder → ${plan.paths.length} path (requested ${plan.requested})`);
  });

  test("10,000 files across 500 folders in 25 sections: 82 paths, each folder or section a wildcard", () => {
    const changes = objects(range(500, (f) => range(20, (i) => `section${f % 25}/folder${f}/page${i}.html`)).flat());
    const plan = cost(changes);
    assert.equal(plan.requested, 10_000);
    // 500 folder wildcards are more than 100: 22 of the 25 sections collapse (500 − 22 × 19 = 82).
    assert.equal(plan.paths.length, 82);
    assert.equal(plan.paths.filter((p) => /^\/section\d+\/\*$/.test(p)).length, 22);
    assert.equal(plan.paths.filter((p) => /^\/section\d+\/folder\d+\/\*$/.test(p)).length, 60);
    console.log(`# 10,000 files across 500 folders → ${plan.paths.length} paths in ${plan.batches.length} requests`);
  });

  test("10,000 files across 500 top-level folders: /* only when nothing deeper suffices", () => {
    const plan = cost(objects(range(500, (f) => range(20, (i) => `folder${f}/page${i}.html`)).flat()));
    assert.deepEqual(plan.paths, ["/*"]);
    const generous = planInvalidations(
      objects(range(500, (f) => range(20, (i) => `folder${f}/page${i}.html`)).flat()),
      { collapseAbove: 10, maxPaths: 500 },
    );
    assert.equal(generous.paths.length, 500);
  });
});
