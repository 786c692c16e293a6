// When a manifest was sent (core/contracts/manifest.ts `sent`): the writer stamps every message of a call,
// the reader takes it back, and a message from an older sender without it still applies.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { MANIFEST_VERSION } from "../../core/contracts/manifest.ts";
import { decodeManifest, encodeManifest, type Manifest, packManifests } from "../../core/manifest.ts";

const RUN = "20260101T120000000Z-abcdef";
const SENT = "2026-12-02T09:00:00.123Z";
const deletes = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ op: "delete" as const, key: `www/${i}`, version: RUN }));

describe("the manifest's sent time", () => {
  test("every message of one send carries it, and decoding gives it back", () => {
    const packed = packManifests(deletes(250), { runId: RUN, prefix: "www/", firstSeq: 0, sent: SENT });
    assert.equal(packed.length, 3);
    for (const { manifest, encoded } of packed) {
      assert.equal(manifest.sent, SENT);
      assert.equal(decodeManifest(encoded.body, encoded.encoding, "m").sent, SENT);
    }
  });

  test("a message without it (an older agent) decodes, with no sent time", () => {
    const old: Manifest = { v: MANIFEST_VERSION, runId: RUN, seq: 0, prefix: "", entries: deletes(1) };
    const { body, encoding } = encodeManifest(old);
    const decoded = decodeManifest(body, encoding, "m");
    assert.equal(decoded.sent, undefined);
    assert.deepEqual(decoded, old);
  });

  const refused = ["2026-12-02", "yesterday", "2026-12-02T09:00:00+01:00", ""];
  for (const sent of refused) {
    test(`a sent time that is not an ISO instant in UTC is refused: ${JSON.stringify(sent)}`, () => {
      const body = JSON.stringify({ v: MANIFEST_VERSION, runId: RUN, seq: 0, prefix: "", sent, entries: [] });
      assert.throws(() => decodeManifest(body, "json", "m"), /"sent": expected when the message was sent/);
    });
  }
});
