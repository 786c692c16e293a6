// Manifest encoding, validation and packing (core/manifest.ts, the contract in core/contracts/manifest.ts).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { gzipSync } from "node:zlib";
import { BadInputError } from "../../core/errors.ts";
import {
  asciiJson,
  decodeManifest,
  encodeManifest,
  packManifests,
  type Manifest,
  type ManifestEntry,
  type PutEntry,
} from "../../core/manifest.ts";

const RUN = "20260101T120000000Z-abcdef";
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

function putEntry(key: string, i = 0): PutEntry {
  return {
    op: "put",
    key,
    version: RUN,
    size: 10 + i,
    mtime: `17672256000000${String(i).padStart(5, "0")}`,
    contentType: "text/html; charset=utf-8",
    source: { key: `packs/${RUN}/0`, offset: i * 100, length: 10 + i },
  };
}

function manifest(entries: ManifestEntry[], seq = 0): Manifest {
  return { v: 1, runId: RUN, seq, prefix: "www/", entries };
}

/** Keys no compressor can shrink much: base64 of hashes, deterministic. */
function noisyKey(i: number, length: number): string {
  let s = "";
  for (let n = 0; s.length < length; n++)
    s += createHash("sha256").update(`${i}:${n}`).digest("base64").replace(/[+/=]/g, "x");
  return `www/${s.slice(0, length)}.html`;
}

const AWKWARD_KEYS = [
  "www/café/naïve.html",
  "www/e\u0301t\u00e9.html", // NFD and NFC in one name: must stay byte-exact
  "www/😀/🎉 party.png",
  "www/日本語/ファイル.txt",
  "www/line\nbreak.txt",
  "www/\"quoted\" 'single'.html",
  "www/back\\slash.txt",
  "www/tab\there\u0000nul\u007fdel.txt",
  "www/\u2028line-sep\u2029para-sep.txt",
  "www/\uffff-max-bmp.txt",
];

describe("encodeManifest / decodeManifest", () => {
  test("a small manifest goes as plain JSON and round-trips", () => {
    const m = manifest([putEntry("www/index.html"), { op: "delete", key: "www/old.html", version: RUN }]);
    const encoded = encodeManifest(m);
    assert.equal(encoded.encoding, "json");
    assert.deepEqual(decodeManifest(encoded.body, encoded.encoding, "m-1"), m);
  });

  test("non-ASCII, emoji, newline, quote, backslash and control characters survive plain JSON", () => {
    const m = manifest(AWKWARD_KEYS.map((k, i) => putEntry(k, i)));
    const encoded = encodeManifest(m);
    assert.equal(encoded.encoding, "json");
    assert.match(encoded.body, PRINTABLE_ASCII, "body must be pure printable ASCII for SQS");
    const back = decodeManifest(encoded.body, encoded.encoding, "m-1");
    assert.deepEqual(
      back.entries.map((e) => e.key),
      AWKWARD_KEYS,
    );
    assert.deepEqual(back, m);
  });

  test("a large compressible manifest goes gzipped, ASCII, and round-trips with awkward keys", () => {
    const keys = Array.from({ length: 200 }, (_, i) => `${AWKWARD_KEYS[i % AWKWARD_KEYS.length]}-${i}`);
    const m = manifest(keys.map((k, i) => putEntry(k, i)));
    const encoded = encodeManifest(m);
    assert.equal(encoded.encoding, "gzip");
    assert.match(encoded.body, PRINTABLE_ASCII);
    assert.ok(encoded.body.length <= asciiJson(m).length * 0.75, "gzip is chosen only when it saves a quarter");
    assert.deepEqual(decodeManifest(encoded.body, encoded.encoding, "m-1"), m);
  });

  test("a large body that gzip cannot shrink by a quarter stays plain JSON", () => {
    const m = manifest(
      Array.from({ length: 8 }, (_, i) => ({ op: "delete" as const, key: noisyKey(i, 1000), version: RUN })),
    );
    const encoded = encodeManifest(m);
    assert.ok(encoded.body.length >= 4096, "the body is past the compression threshold");
    assert.equal(encoded.encoding, "json");
    assert.deepEqual(decodeManifest(encoded.body, encoded.encoding, "m-1"), m);
  });

  test("a plain body decodes with no encoding attribute at all", () => {
    const m = manifest([putEntry("www/a.html")]);
    assert.deepEqual(decodeManifest(encodeManifest(m).body, undefined, "m-1"), m);
  });

  test("a gzip body that is not gzip fails naming the message", () => {
    assert.throws(
      () => decodeManifest("bm90IGd6aXA=", "gzip", "m-42"),
      (err: Error) => {
        assert.ok(err instanceof BadInputError);
        assert.match(err.message, /message m-42: body is not valid gzip\+base64/);
        return true;
      },
    );
  });

  test("a body that is not JSON fails naming the message", () => {
    assert.throws(
      () => decodeManifest("{not json", "json", "m-7"),
      (err: Error) => {
        assert.ok(err instanceof BadInputError);
        assert.match(err.message, /message m-7: body is not JSON/);
        return true;
      },
    );
  });

  test("gzip of invalid manifest JSON still goes through validation", () => {
    const body = gzipSync(JSON.stringify({ ...manifest([]), v: 2 })).toString("base64");
    assert.throws(
      () => decodeManifest(body, "gzip", "m-9"),
      /^BadInputError: message m-9: "v": expected manifest version 1 .*, got 2$/,
    );
  });
});

describe("validation errors name the message, the field and what was expected", () => {
  const good = () => JSON.parse(JSON.stringify(manifest([putEntry("www/a.html", 3)]))) as Record<string, any>;
  const rows: Array<{ why: string; mutate: (m: Record<string, any>) => void; message: RegExp }> = [
    {
      why: "not an object",
      mutate: (m) => {
        for (const k of Object.keys(m)) delete m[k];
        m.x = 1;
      },
      message: /^message m-1: "v": expected manifest version 1/,
    },
    {
      why: "bad manifest version",
      mutate: (m) => {
        m.v = 2;
      },
      message: /^message m-1: "v": expected manifest version 1 \(deploy .*\), got 2$/,
    },
    {
      why: "missing manifest version",
      mutate: (m) => {
        delete m.v;
      },
      message: /^message m-1: "v": expected manifest version 1 .*, but it is missing$/,
    },
    {
      why: "missing runId",
      mutate: (m) => {
        delete m.runId;
      },
      message: /^message m-1: "runId": expected a run id such as 20261125T114723123Z-9f3ac1, but it is missing$/,
    },
    {
      why: "runId not a run id",
      mutate: (m) => {
        m.runId = "yesterday";
      },
      message: /^message m-1: "runId": expected a run id .*, got "yesterday"$/,
    },
    {
      why: "negative seq",
      mutate: (m) => {
        m.seq = -1;
      },
      message: /^message m-1: "seq": expected a whole number ≥ 0, got -1$/,
    },
    {
      why: "fractional seq",
      mutate: (m) => {
        m.seq = 1.5;
      },
      message: /^message m-1: "seq": expected a whole number ≥ 0, got 1.5$/,
    },
    {
      why: "missing prefix",
      mutate: (m) => {
        delete m.prefix;
      },
      message: /^message m-1: "prefix": expected a string, but it is missing$/,
    },
    {
      why: "entries not an array",
      mutate: (m) => {
        m.entries = {};
      },
      message: /^message m-1: "entries": expected an array, got \{\}$/,
    },
    {
      why: "entry not an object",
      mutate: (m) => {
        m.entries[0] = "x";
      },
      message: /^message m-1: "entries\[0\]": expected an object, got "x"$/,
    },
    {
      why: "missing key",
      mutate: (m) => {
        delete m.entries[0].key;
      },
      message: /^message m-1: "entries\[0\]\.key": expected a key, but it is missing$/,
    },
    {
      why: "empty key",
      mutate: (m) => {
        m.entries[0].key = "";
      },
      message: /^message m-1: "entries\[0\]\.key": expected a key, got ""$/,
    },
    {
      why: "missing version",
      mutate: (m) => {
        delete m.entries[0].version;
      },
      message: /^message m-1: "entries\[0\]\.version": expected a version, but it is missing$/,
    },
    {
      why: "unknown op",
      mutate: (m) => {
        m.entries[0].op = "move";
      },
      message: /^message m-1: "entries\[0\]\.op": expected one of "put", "delete", got "move"$/,
    },
    {
      why: "negative size",
      mutate: (m) => {
        m.entries[0].size = -1;
      },
      message: /^message m-1: "entries\[0\]\.size": expected a whole number ≥ 0, got -1$/,
    },
    {
      why: "size as a string",
      mutate: (m) => {
        m.entries[0].size = "13";
      },
      message: /"entries\[0\]\.size": expected a whole number ≥ 0, got "13"/,
    },
    {
      why: "mtime as a number (loses precision)",
      mutate: (m) => {
        m.entries[0].mtime = 1767225600000000000;
      },
      message:
        /"entries\[0\]\.mtime": expected nanoseconds since the epoch as a decimal string, got 1767225600000000000/,
    },
    {
      why: "mtime as an ISO date",
      mutate: (m) => {
        m.entries[0].mtime = "2026-01-01T00:00:00Z";
      },
      message: /"entries\[0\]\.mtime": expected nanoseconds .*, got "2026-01-01T00:00:00Z"/,
    },
    {
      why: "missing contentType",
      mutate: (m) => {
        m.entries[0].contentType = "";
      },
      message: /"entries\[0\]\.contentType": expected a Content-Type, got ""/,
    },
    {
      why: "missing source",
      mutate: (m) => {
        delete m.entries[0].source;
      },
      message: new RegExp(
        String.raw`"entries\[0\]\.source": expected \{"key", "offset", "length"\} .* ` +
          String.raw`or \{"key"\} \(an object\), but it is missing`,
      ),
    },
    {
      why: "pack length differs from size",
      mutate: (m) => {
        m.entries[0].source.length = 12;
      },
      message:
        /^message m-1: "entries\[0\]\.source\.length": expected the pack range's length to equal size \(13\), got 12$/,
    },
    {
      why: "pack offset not an integer",
      mutate: (m) => {
        m.entries[0].source.offset = 1.5;
      },
      message: /"entries\[0\]\.source": expected \{"key", "offset", "length"\}.*, got \{"key":.*"offset":1.5/,
    },
    {
      why: "pack offset negative",
      mutate: (m) => {
        m.entries[0].source.offset = -5;
      },
      message: /"entries\[0\]\.source\.offset": expected a whole number ≥ 0, got -5$/,
    },
    {
      why: "pack range without length",
      mutate: (m) => {
        delete m.entries[0].source.length;
      },
      message: /"entries\[0\]\.source": expected \{"key", "offset", "length"\}/,
    },
    {
      why: "a SHA-256 that is not 64 lowercase hex digits",
      mutate: (m) => {
        m.entries[0].sha256 = "A".repeat(64);
      },
      message: /"entries\[0\]\.sha256": expected a SHA-256 as 64 lowercase hex digits, got "A{64}"$/,
    },
  ];
  for (const row of rows) {
    test(`refused: ${row.why}`, () => {
      const raw = good();
      row.mutate(raw);
      const body = JSON.stringify(raw);
      assert.throws(
        () => decodeManifest(body, "json", "m-1"),
        (err: Error) => {
          assert.ok(err instanceof BadInputError, `expected BadInputError, got ${err.name}`);
          assert.match(err.message, row.message);
          return true;
        },
      );
    });
  }

  test("the index of the bad entry is named, not just the first", () => {
    const raw = JSON.parse(
      JSON.stringify(manifest([putEntry("www/a.html"), putEntry("www/b.html"), putEntry("www/c.html")])),
    );
    raw.entries[2].size = -5;
    assert.throws(
      () => decodeManifest(JSON.stringify(raw), "json", "m-3"),
      /^BadInputError: message m-3: "entries\[2\]\.size"/,
    );
  });

  test("several wrong fields are all named, up to three", () => {
    const raw = { v: 1, runId: RUN, seq: -1, prefix: 7, entries: [{ op: "delete", key: "", version: "" }] };
    assert.throws(
      () => decodeManifest(JSON.stringify(raw), "json", "m-4"),
      /"seq": .*; "prefix": .*; "entries\[0\]\.key": .* \(and 1 more\)$/,
    );
  });

  const accepted: Array<{ why: string; entries: unknown[] }> = [
    { why: "a delete needs only key and version", entries: [{ op: "delete", key: "www/gone.html", version: RUN }] },
    {
      why: "an object source needs no offset",
      entries: [{ ...putEntry("www/big.bin"), size: 9_000_000, source: { key: "objects/big" } }],
    },
    { why: "an adopted object names no staged key", entries: [{ ...putEntry("www/old.bin"), source: { key: "" } }] },
    {
      why: "an empty file is a zero-length range",
      entries: [{ ...putEntry("www/empty"), size: 0, source: { key: "packs/p", offset: 7, length: 0 } }],
    },
    { why: "no entries at all", entries: [] },
    {
      why: "a put with the SHA-256 of its bytes (an entry without one, from an older agent, is accepted above)",
      entries: [{ ...putEntry("www/a.html"), sha256: "0123456789abcdef".repeat(4) }],
    },
  ];
  for (const row of accepted) {
    test(`accepted: ${row.why}`, () => {
      const raw = { ...manifest([]), entries: row.entries };
      assert.deepEqual(decodeManifest(JSON.stringify(raw), "json", "m"), raw);
    });
  }

  test("fields no writer sends are dropped, not refused (an older handler reads a newer agent's message)", () => {
    const raw = { ...manifest([putEntry("www/a.html")]), note: "new" };
    assert.deepEqual(decodeManifest(JSON.stringify(raw), "json", "m"), manifest([putEntry("www/a.html")]));
  });

  test("the sender refuses to pack an entry the handler would refuse", () => {
    const bad = { ...putEntry("www/a.html"), mtime: "soon" };
    assert.throws(
      () => packManifests([bad], { runId: RUN, prefix: "www/", firstSeq: 0 }),
      /^PermanentError: the manifests of run .* breaks its contract: "entries\[0\]\.mtime": expected nanoseconds/,
    );
  });
});

describe("packManifests", () => {
  const header = { runId: RUN, prefix: "www/", firstSeq: 7 };

  function checkPacked(
    entries: ManifestEntry[],
    packed: ReturnType<typeof packManifests>,
    limits: { maxEntries: number; maxBodyBytes: number },
  ) {
    assert.deepEqual(
      packed.map((p) => p.manifest.seq),
      packed.map((_, i) => header.firstSeq + i),
      "consecutive seq from firstSeq",
    );
    for (const { manifest: m, encoded } of packed) {
      assert.ok(
        m.entries.length >= 1 && m.entries.length <= limits.maxEntries,
        `entries ${m.entries.length} within maxEntries`,
      );
      assert.ok(
        Buffer.byteLength(encoded.body, "utf8") <= limits.maxBodyBytes,
        `body ${encoded.body.length} within maxBodyBytes`,
      );
      assert.match(encoded.body, PRINTABLE_ASCII);
      assert.equal(m.runId, RUN);
      assert.equal(m.prefix, "www/");
      assert.deepEqual(
        decodeManifest(encoded.body, encoded.encoding, `seq ${m.seq}`),
        m,
        "the encoded body is the manifest",
      );
    }
    assert.deepEqual(
      packed.flatMap((p) => p.manifest.entries),
      entries,
      "every entry once, in order",
    );
  }

  test("small entries: split by maxEntries, order kept, seq consecutive", () => {
    const entries = Array.from({ length: 250 }, (_, i) => putEntry(`www/p/${i}.html`, i));
    const limits = { maxEntries: 100, maxBodyBytes: 24_000 };
    const packed = packManifests(entries, header, limits);
    assert.deepEqual(
      packed.map((p) => p.manifest.entries.length),
      [100, 100, 50],
    );
    checkPacked(entries, packed, limits);
  });

  test("long incompressible keys: split by maxBodyBytes, every body fits", () => {
    const entries: ManifestEntry[] = Array.from({ length: 300 }, (_, i) =>
      i % 3 === 0 ? { op: "delete", key: noisyKey(i, 700), version: RUN } : putEntry(noisyKey(i, 700), i),
    );
    const limits = { maxEntries: 100, maxBodyBytes: 24_000 };
    const packed = packManifests(entries, header, limits);
    assert.ok(packed.length > 3, `more messages than maxEntries alone needs (got ${packed.length})`);
    checkPacked(entries, packed, limits);
  });

  test("long non-ASCII keys (escaped to six bytes each) still fit", () => {
    const entries = Array.from({ length: 120 }, (_, i) =>
      putEntry(`www/${"日本語😀".repeat(60)}-${noisyKey(i, 60)}`, i),
    );
    const limits = { maxEntries: 50, maxBodyBytes: 20_000 };
    checkPacked(entries, packManifests(entries, header, limits), limits);
  });

  test("one entry larger than maxBodyBytes fails naming its key", () => {
    const key = noisyKey(1, 2000);
    assert.throws(
      () => packManifests([putEntry("www/ok.html"), putEntry(key)], header, { maxEntries: 10, maxBodyBytes: 1_000 }),
      (err: Error) => err instanceof BadInputError && err.message.includes(key) && err.message.includes("1000 bytes"),
    );
  });

  test("no entries: no messages", () => {
    assert.deepEqual(packManifests([], header), []);
  });

  test("the default limits keep ten bodies within one SQS batch", () => {
    const entries = Array.from({ length: 1000 }, (_, i) => putEntry(noisyKey(i, 300), i));
    const packed = packManifests(entries, header);
    for (let i = 0; i < packed.length; i += 10) {
      const batch = packed.slice(i, i + 10).reduce((sum, p) => sum + Buffer.byteLength(p.encoded.body), 0);
      assert.ok(batch <= 262_144, `batch of ten is ${batch} bytes`);
    }
    assert.deepEqual(
      packed.flatMap((p) => p.manifest.entries),
      entries,
    );
  });
});
