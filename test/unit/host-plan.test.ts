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
    assert.deepEqual(parsed.map((m) => [m.page, m.pages, m.part, m.parts]), [[1, 3, 0, 2], [1, 3, 1, 2]]);
    assert.deepEqual(parsed.flatMap((m) => m.files), files);
    assert.deepEqual(parsed.flatMap((m) => m.unrestorable), lost);
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
    ["not JSON", "{", /not JSON/],
    ["the old unpaged version", { ...good, v: 1 }, /version 1/],
    ["no page", { ...good, page: undefined }, /"page"/],
    ["a page past the total", { ...good, page: 3 }, /"page"/],
    ["no total", { ...good, pages: 0 }, /"pages"/],
    ["a part past its total", { ...good, part: 1, parts: 1 }, /"part"/],
    ["a key outside the prefix", { ...good, files: [file("www/other/a.txt")] }, /under "prefix"/],
    ["a prefix outside the site prefix", { ...good, prefix: "docs/" }, /"sitePrefix"/],
    ["a negative size", { ...good, files: [negative] }, /size/],
    ["an unrestorable entry without a reason", { ...good, unrestorable: [{ key: "www/docs/a" }] }, /reason/],
  ];
  for (const [why, body, message] of refused) {
    const text = typeof body === "string" ? body : JSON.stringify(body);
    test(`refused: ${why}`, () => assert.throws(() => parseHostPlan(text), message));
  }
});
