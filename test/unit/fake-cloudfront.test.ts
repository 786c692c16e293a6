// The CloudFront fake: each rule of the real service, refused with the service's error code as the name.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { CLOUDFRONT_RULES, CloudFrontError, FakeCloudFront } from "../../local/fake-cloudfront.ts";
import { pathForKey } from "../../core/invalidation-planner.ts";

const DIST = "E2EXAMPLE";
const range = (n: number, f: (i: number) => string): string[] => Array.from({ length: n }, (_, i) => f(i));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let refs = 0;
const fake = (completeAfterMs = 10_000) => new FakeCloudFront({ distributions: [DIST], completeAfterMs });
const create = (cf: FakeCloudFront, paths: string[], callerReference = `ref-${++refs}`, distributionId = DIST) =>
  cf.createInvalidation({ distributionId, paths, callerReference });

async function refusedWith(promise: Promise<unknown>, code: string): Promise<CloudFrontError> {
  const err = await promise.then(
    () => assert.fail(`expected ${code}`),
    (e: unknown) => e,
  );
  assert.ok(err instanceof Error, "an Error, as the SDK throws");
  assert.ok(err instanceof CloudFrontError);
  assert.equal(err.name, code);
  return err;
}

describe("fake CloudFront: accepted batches", () => {
  test("a valid batch is InProgress, then Completed after the delay, and is recorded", async () => {
    const cf = fake(200);
    const paths = ["/", "/index.html", "/docs/*", "/a%20b.html", "/q.html?lang=en", "/img/logo*"];
    const created = await create(cf, paths, "run-1");
    assert.equal(created.status, "InProgress");
    assert.match(created.id, /^I[A-Z0-9]{13}$/);
    assert.equal((await cf.getInvalidation({ distributionId: DIST, id: created.id })).status, "InProgress");
    await sleep(250);
    assert.deepEqual(await cf.getInvalidation({ distributionId: DIST, id: created.id }), {
      id: created.id,
      status: "Completed",
    });
    assert.equal(cf.calls.length, 1);
    assert.deepEqual(
      { ...cf.calls[0], at: undefined },
      { distributionId: DIST, paths, callerReference: "run-1", id: created.id, at: undefined },
    );
    assert.ok(cf.calls[0]!.at instanceof Date);
    assert.deepEqual(cf.allPaths(), paths);
    assert.deepEqual(cf.refusals, []);
  });

  test("reset() forgets invalidations, calls and refusals", async () => {
    const cf = fake();
    await create(
      cf,
      range(CLOUDFRONT_RULES.maxFilePathsInProgress, (i) => `/f${i}`),
    );
    await refusedWith(create(cf, ["no-slash"]), "InvalidArgument");
    cf.reset();
    assert.deepEqual([cf.calls, cf.refusals, cf.allPaths()], [[], [], []]);
    await create(cf, ["/after-reset"]);
  });
});

describe("fake CloudFront: refusals", () => {
  test("more than 3,000 paths in one request is BatchTooLarge; exactly 3,000 is accepted", async () => {
    const cf = fake();
    await refusedWith(
      create(
        cf,
        range(3001, (i) => `/f${i}`),
      ),
      "BatchTooLarge",
    );
    await create(
      cf,
      range(3000, (i) => `/f${i}`),
    );
    assert.equal(cf.refusals.length, 1);
    assert.equal(cf.refusals[0]!.error, "BatchTooLarge");
    assert.equal(cf.refusals[0]!.paths.length, 3001);
  });

  const invalidPaths: Array<[string, string]> = [
    ["no leading slash", "index.html"],
    ["a wildcard before the end", "/img/*/logo.png"],
    ["a wildcard mid-name", "/img/lo*go.png"],
    ["an unencoded space", "/release notes.html"],
    ["an unencoded non-ASCII character", "/café.html"],
    ["an unencoded ~ (refused by the real service)", "/runtime~main.js"],
    ["an unencoded #", "/a#b.html"],
    ["an unencoded quote", '/a"b.html'],
    ["unencoded brackets", "/a[1].html"],
    ["an unencoded control character", "/a\nb.html"],
    ["a % that is not an escape", "/100%.html"],
    ["more than 4,000 characters", `/${"a".repeat(4000)}`],
    ["an empty path", ""],
  ];
  for (const [why, path] of invalidPaths) {
    test(`a path with ${why} is InvalidArgument`, async () => {
      const cf = fake();
      const err = await refusedWith(create(cf, ["/fine.html", path]), "InvalidArgument");
      assert.match(err.message, /invalid invalidation paths/);
      assert.deepEqual(cf.calls, []);
      assert.equal(cf.refusals[0]?.error, "InvalidArgument");
    });
  }

  test("an empty batch and an empty CallerReference are InvalidArgument", async () => {
    const cf = fake();
    await refusedWith(create(cf, []), "InvalidArgument");
    await refusedWith(create(cf, ["/a"], ""), "InvalidArgument");
  });

  test("duplicate paths within a batch are accepted (no documented rule refuses them)", async () => {
    const cf = fake();
    await create(cf, ["/a.html", "/a.html"]);
    assert.deepEqual(cf.allPaths(), ["/a.html", "/a.html"]);
  });

  test("more than 3,000 file paths in progress is TooManyInvalidationsInProgress, until some complete", async () => {
    const cf = fake(300);
    for (let batch = 0; batch < 30; batch++)
      await create(
        cf,
        range(100, (i) => `/b${batch}/f${i}`),
      );
    await refusedWith(create(cf, ["/one-more.html"]), "TooManyInvalidationsInProgress");
    // Wildcards have their own, independent maximum.
    await create(cf, ["/w/*"]);
    await sleep(350);
    await create(cf, ["/one-more.html"]);
  });

  test("more than 15 wildcard paths in progress is TooManyInvalidationsInProgress, until some complete", async () => {
    const cf = fake(300);
    await create(
      cf,
      range(10, (i) => `/w${i}/*`),
    );
    await create(
      cf,
      range(5, (i) => `/x${i}*`),
    );
    await refusedWith(create(cf, ["/y/*"]), "TooManyInvalidationsInProgress");
    await refusedWith(
      fake().createInvalidation({ distributionId: DIST, paths: range(16, (i) => `/z${i}/*`), callerReference: "r" }),
      "TooManyInvalidationsInProgress",
    );
    // File paths have their own, independent maximum.
    await create(cf, ["/file.html"]);
    await sleep(350);
    await create(cf, ["/y/*"]);
  });

  test(`a repeated CallerReference with the same paths returns the same invalidation; \
with other paths, InvalidationBatchAlreadyExists`, async () => {
    const cf = fake();
    const first = await create(cf, ["/a.html", "/b/*"], "run-7");
    const again = await create(cf, ["/a.html", "/b/*"], "run-7");
    assert.equal(again.id, first.id);
    await refusedWith(create(cf, ["/a.html"], "run-7"), "InvalidationBatchAlreadyExists");
    await refusedWith(create(cf, ["/b/*", "/a.html"], "run-7"), "InvalidationBatchAlreadyExists");
    assert.deepEqual(
      cf.calls.map((c) => c.id),
      [first.id, first.id],
    );
    assert.deepEqual(cf.allPaths(), ["/a.html", "/b/*"], "a replay invalidates nothing new");
  });

  test("a replay is answered even when the in-progress maximum is reached", async () => {
    const cf = fake();
    const paths = range(15, (i) => `/w${i}/*`);
    const first = await create(cf, paths, "full");
    assert.equal((await create(cf, paths, "full")).id, first.id);
  });

  test("an unknown distribution is NoSuchDistribution; an unknown invalidation, NoSuchInvalidation", async () => {
    const cf = fake();
    await refusedWith(create(cf, ["/a.html"], "r", "ENOPE"), "NoSuchDistribution");
    await refusedWith(cf.getInvalidation({ distributionId: "ENOPE", id: "I1" }), "NoSuchDistribution");
    await refusedWith(cf.getInvalidation({ distributionId: DIST, id: "I1" }), "NoSuchInvalidation");
  });
});

describe("fake CloudFront: the planner's paths", () => {
  test("pathForKey output is accepted for ordinary names", async () => {
    const cf = fake();
    const keys = [
      "index.html",
      "docs/release notes.html",
      "café.html",
      "a*b.txt",
      "c++.pdf",
      "q?.html",
      "x#y.html",
      "100%.html",
    ];
    await create(cf, keys.map(pathForKey));
  });
});
