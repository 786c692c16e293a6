// The host restore plan message: what the Restore workflow writes is what the agent reads, and anything
// else is refused with the reason.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { hostPlanPage, parseHostPlan, type HostPlanFile } from "../../core/host-plan.ts";
import { asciiJson } from "../../core/manifest.ts";

const file = (key: string): HostPlanFile => ({
  key,
  desired: {
    op: "put",
    version: "v1",
    run: "r1",
    size: 3,
    mtime: "1700000000000000000",
    contentType: "text/plain",
    source: { key: "packs/p", offset: 0, length: 3 },
  },
  publishedVersion: "v1",
});
const head = { restoreId: "20261125T090000000Z-abcdef", sitePrefix: "www/", prefix: "www/docs/", page: 1, pages: 3 };

describe("host plan messages", () => {
  test("a page's files and unrestorable keys come back as written, numbered part of parts", () => {
    const files = Array.from({ length: 150 }, (_, i) => file(`www/docs/f${i}.txt`));
    const lost = [{ key: "www/docs/old.txt", reason: "expired" }];
    const bodies = hostPlanPage(head, files, lost);
    const parsed = bodies.map(parseHostPlan);
    assert.equal(parsed.length, 2);
    assert.deepEqual(
      parsed.map((m) => [m.page, m.pages, m.part, m.parts]),
      [
        [1, 3, 0, 2],
        [1, 3, 1, 2],
      ],
    );
    assert.deepEqual(
      parsed.flatMap((m) => m.files),
      files,
    );
    assert.deepEqual(
      parsed.flatMap((m) => m.unrestorable),
      lost,
    );
  });

  test("an empty page is still one message, so the agent can count it", () => {
    const [only, ...rest] = hostPlanPage(head, [], []).map(parseHostPlan);
    assert.deepEqual(rest, []);
    assert.deepEqual([only?.part, only?.parts, only?.files.length], [0, 1, 0]);
  });

  test("long keys split a page into parts within SQS's message size", () => {
    const files = Array.from({ length: 100 }, (_, i) => file(`www/docs/${"é".repeat(400)}${i}`));
    const bodies = hostPlanPage(head, files, []);
    assert.ok(bodies.length > 1);
    for (const body of bodies) assert.ok(Buffer.byteLength(body) < 256 * 1024);
    assert.equal(bodies.map(parseHostPlan).flatMap((m) => m.files).length, 100);
  });

  const good = JSON.parse(hostPlanPage(head, [file("www/docs/a.txt")], [])[0]!);
  const negative = { ...file("www/docs/a"), desired: { ...file("a").desired, size: -1 } };
  const refused: Array<[string, unknown, RegExp]> = [
    ["not JSON", "{", /^BadInputError: the body is not JSON/],
    ["not an object", "[]", /^BadInputError: expected an object, got \[\]$/],
    ["the old unpaged version", { ...good, v: 1 }, /^BadInputError: "v": expected plan version 2, got 1$/],
    ["a restore id that is no run id", { ...good, restoreId: "r1" }, /"restoreId": expected a run id/],
    [
      "no page",
      { ...good, page: undefined },
      /^BadInputError: "page": expected a whole number ≥ 0, but it is missing$/,
    ],
    [
      "a page past the total",
      { ...good, page: 3 },
      /^BadInputError: "page": expected a page number below "pages" \(3\), got 3$/,
    ],
    ["no total", { ...good, pages: 0 }, /^BadInputError: "pages": expected a whole number ≥ 1, got 0$/],
    [
      "a part past its total",
      { ...good, part: 1, parts: 1 },
      /"part": expected a part number below "parts" \(1\), got 1/,
    ],
    [
      "a key outside the prefix",
      { ...good, files: [file("www/other/a.txt")] },
      /"files\[0\]\.key": expected a key under "prefix" \(www\/docs\/\)/,
    ],
    [
      "a prefix outside the site prefix",
      { ...good, prefix: "docs/" },
      /"prefix": expected a key prefix under "sitePrefix" \(www\/\), got "docs\/"/,
    ],
    [
      "a negative size",
      { ...good, files: [negative] },
      /"files\[0\]\.desired\.size": expected a whole number ≥ 0, got -1/,
    ],
    [
      "a desired delete",
      { ...good, files: [{ ...file("www/docs/a"), desired: { op: "delete", version: "v", run: "r" } }] },
      /"files\[0\]\.desired\.op": expected "put", got "delete"/,
    ],
    [
      "a bad source range",
      {
        ...good,
        files: [{ ...file("www/docs/a"), desired: { ...file("a").desired, source: { key: "p", offset: 1 } } }],
      },
      /"files\[0\]\.desired\.source": expected \{"key", "offset", "length"\}/,
    ],
    [
      "an unrestorable entry without a reason",
      { ...good, unrestorable: [{ key: "www/docs/a" }] },
      /"unrestorable\[0\]\.reason": expected a string, but it is missing/,
    ],
  ];
  for (const [why, body, message] of refused) {
    const text = typeof body === "string" ? body : JSON.stringify(body);
    test(`refused: ${why}`, () => assert.throws(() => parseHostPlan(text), message));
  }

  const accepted: Array<[string, unknown]> = [
    [
      "a file without its published version",
      { ...good, files: [{ ...file("www/docs/a"), publishedVersion: undefined }] },
    ],
    [
      "an adopted file (no staged bytes)",
      { ...good, files: [{ ...file("www/docs/a"), desired: { ...file("a").desired, source: { key: "" } } }] },
    ],
    ["a plan for the whole site", { ...good, sitePrefix: "", prefix: "" }],
  ];
  for (const [why, body] of accepted) {
    test(`accepted: ${why}`, () =>
      assert.deepEqual(parseHostPlan(JSON.stringify(body)), JSON.parse(JSON.stringify(body))));
  }

  test("the writer refuses to send a file outside the plan's prefix", () => {
    assert.throws(
      () => hostPlanPage(head, [file("www/else/a.txt")], []),
      /^PermanentError: restore .* breaks its contract: "files\[0\]\.key"/,
    );
  });
});

// Where a page is cut into parts: at exactly 100 items, and when the next item would take a part past 200,000
// characters of JSON; every item in exactly one part, in order. (The site's root, so any key is in the prefix.)
const rootHead = { restoreId: "20261125T090000000Z-abcdef", sitePrefix: "", prefix: "", page: 0, pages: 1 };

/** A file whose JSON is exactly `chars` characters long. */
function fileOfLength(name: string, chars: number): HostPlanFile {
  const base = asciiJson(file(name)).length;
  return file(`${name}${"x".repeat(chars - base)}`);
}

const keysOf = (bodies: string[]) => bodies.map((b) => parseHostPlan(b).files.map((f) => f.key));

describe("host plan parts", () => {
  test("100 files make one part; the 101st starts another", () => {
    const files = Array.from({ length: 101 }, (_, i) => file(`f${String(i).padStart(3, "0")}`));
    assert.deepEqual(
      keysOf(hostPlanPage(rootHead, files.slice(0, 100), [])).map((k) => k.length),
      [100],
    );
    const parts = keysOf(hostPlanPage(rootHead, files, []));
    assert.deepEqual(
      parts.map((k) => k.length),
      [100, 1],
    );
    assert.deepEqual(
      parts.flat(),
      files.map((f) => f.key),
    );
  });

  test("a part holds items up to 200,000 characters with their separators, not one more", () => {
    const first = fileOfLength("a", 150_000);
    // Each item counts its JSON and one separator: 150,001 + 49,999 is exactly the limit.
    const fits = fileOfLength("b", 49_999);
    assert.deepEqual(
      keysOf(hostPlanPage(rootHead, [first, fits], [])).map((k) => k.length),
      [2],
    );
    const over = fileOfLength("b", 50_000);
    assert.deepEqual(
      keysOf(hostPlanPage(rootHead, [first, over], [])).map((k) => k.length),
      [1, 1],
    );
    // 150,001 + 49,701 + 300 is past the limit by 2: the third file starts a part of its own.
    const third = fileOfLength("c", 300);
    const parts = keysOf(hostPlanPage(rootHead, [first, fileOfLength("b", 49_700), third], []));
    assert.deepEqual(
      parts.map((k) => k.length),
      [2, 1],
    );
  });

  test("one item bigger than the limit still goes, alone", () => {
    const big = fileOfLength("big", 210_000);
    assert.deepEqual(
      keysOf(hostPlanPage(rootHead, [big, file("small")], [])).map((k) => k.length),
      [1, 1],
    );
  });
});
