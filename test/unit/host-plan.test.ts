// The host restore plan message: what the Restore workflow writes is what the agent reads, and anything
// else is refused with the reason.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { hostPlanPage, parseHostPlan, type HostPlanFile } from "../../core/host-plan.ts";

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
