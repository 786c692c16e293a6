// File names to keys and key ordering (core/keys.ts).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  compareUtf8,
  decodeName,
  isKnownEncoding,
  joinKey,
  keyProblem,
  MAX_KEY_BYTES,
  normalisePrefix,
  prefixDir,
  splitKey,
} from "../../core/keys.ts";
import { seededRandom } from "../../core/seeded-random.ts";

const bytes = (...b: number[]) => Uint8Array.from(b);
const utf8 = (s: string) => new Uint8Array(Buffer.from(s, "utf8"));

describe("decodeName", () => {
  const rows: Array<{ why: string; input: Uint8Array; fallback: string; name: string; usedFallback: boolean }> = [
    {
      why: "plain ASCII is kept",
      input: utf8("index.html"),
      fallback: "latin1",
      name: "index.html",
      usedFallback: false,
    },
    {
      why: "valid UTF-8 (NFC é) is kept",
      input: utf8("caf\u00e9.html"),
      fallback: "latin1",
      name: "caf\u00e9.html",
      usedFallback: false,
    },
    {
      why: "valid UTF-8 in NFD is kept as NFD, not normalised",
      input: utf8("cafe\u0301.html"),
      fallback: "latin1",
      name: "cafe\u0301.html",
      usedFallback: false,
    },
    {
      why: "valid UTF-8 emoji is kept",
      input: utf8("😀.png"),
      fallback: "windows-1252",
      name: "😀.png",
      usedFallback: false,
    },
    {
      why: "valid UTF-8 is never reinterpreted by the fallback",
      input: utf8("€.txt"),
      fallback: "windows-1252",
      name: "€.txt",
      usedFallback: false,
    },
    {
      why: "latin1 fallback: 0xE9 is é",
      input: bytes(0x63, 0x61, 0x66, 0xe9),
      fallback: "latin1",
      name: "caf\u00e9",
      usedFallback: true,
    },
    {
      why: "latin1 fallback: 0x80 is U+0080 (lossless byte → code point)",
      input: bytes(0x80, 0x41),
      fallback: "latin1",
      name: "\u0080A",
      usedFallback: true,
    },
    {
      why: "iso-8859-1 label takes the same lossless latin1 path",
      input: bytes(0x80, 0xff),
      fallback: "iso-8859-1",
      name: "\u0080\u00ff",
      usedFallback: true,
    },
    {
      why: "windows-1252 fallback: 0x80 is €",
      input: bytes(0x80, 0x2e, 0x74, 0x78, 0x74),
      fallback: "windows-1252",
      name: "€.txt",
      usedFallback: true,
    },
    {
      why: "windows-1252 fallback: 0x93 0x94 are curly quotes",
      input: bytes(0x93, 0x61, 0x94),
      fallback: "windows-1252",
      name: "\u201ca\u201d",
      usedFallback: true,
    },
    {
      why: "a truncated UTF-8 sequence goes to the fallback",
      input: bytes(0x61, 0xc3),
      fallback: "latin1",
      name: "a\u00c3",
      usedFallback: true,
    },
    {
      why: "an overlong UTF-8 encoding of '/' is not accepted as UTF-8",
      input: bytes(0xc0, 0xaf),
      fallback: "latin1",
      name: "\u00c0\u00af",
      usedFallback: true,
    },
  ];
  for (const row of rows) {
    test(row.why, () => {
      const out = decodeName(row.input, row.fallback);
      assert.deepEqual(out, { name: row.name, fallback: row.usedFallback });
    });
  }

  test("valid UTF-8 round-trips byte-exact", () => {
    for (const name of ["cafe\u0301", "caf\u00e9", "😀 x", "日本語", "a\u00a0b", "\u0000", "x\uffff"]) {
      const input = utf8(name);
      assert.deepEqual(Buffer.from(decodeName(input, "latin1").name, "utf8"), Buffer.from(input), JSON.stringify(name));
    }
  });

  test("NFC and NFD spellings of one name stay two different keys", () => {
    assert.notEqual(decodeName(utf8("\u00e9"), "latin1").name, decodeName(utf8("e\u0301"), "latin1").name);
  });

  test("latin1 fallback maps every byte to its own code point (two names never collide)", () => {
    const all = bytes(...Array.from({ length: 256 }, (_, i) => i));
    const { name, fallback } = decodeName(all, "latin1");
    assert.equal(fallback, true);
    assert.deepEqual(Buffer.from(name, "latin1"), Buffer.from(all));
  });

  test("a leading UTF-8 BOM is kept, so \\uFEFFindex.html is not index.html", () => {
    const input = bytes(0xef, 0xbb, 0xbf, ...utf8("index.html"));
    assert.deepEqual(decodeName(input, "latin1"), { name: "\ufeffindex.html", fallback: false });
  });

  test("the label ISO-8859-1 in capitals decodes like iso-8859-1", () => {
    assert.deepEqual(decodeName(bytes(0x80), "ISO-8859-1"), decodeName(bytes(0x80), "iso-8859-1"));
  });
});

describe("isKnownEncoding", () => {
  for (const [label, known] of [
    ["latin1", true],
    ["iso-8859-1", true],
    ["windows-1252", true],
    ["shift_jis", true],
    ["utf-8", true],
    ["klingon", false],
    ["", false],
  ] as const) {
    test(`${JSON.stringify(label)} → ${known}`, () => assert.equal(isKnownEncoding(label), known));
  }
});

describe("compareUtf8 orders like UTF-8 bytes (S3 and DynamoDB order)", () => {
  const rows: Array<{ why: string; a: string; b: string; sign: -1 | 0 | 1 }> = [
    { why: "emoji sorts after U+FFFF (UTF-16 code units would put it before)", a: "😀", b: "\uffff", sign: 1 },
    { why: "'a/' sorts after 'a.txt' ('/' 0x2F > '.' 0x2E)", a: "a/", b: "a.txt", sign: 1 },
    { why: "'a/' sorts before 'a0' ('/' 0x2F < '0' 0x30)", a: "a/", b: "a0", sign: -1 },
    { why: "a prefix sorts first", a: "abc", b: "abcd", sign: -1 },
    { why: "upper case before lower case", a: "Z", b: "a", sign: -1 },
    { why: "é (C3 A9) after z", a: "\u00e9", b: "z", sign: 1 },
    { why: "NFD e+◌́ before NFC é (65 < C3)", a: "e\u0301", b: "\u00e9", sign: -1 },
    { why: "equal strings", a: "same/key", b: "same/key", sign: 0 },
  ];
  for (const row of rows) {
    test(row.why, () => {
      assert.equal(Math.sign(compareUtf8(row.a, row.b)), row.sign);
      assert.equal(Math.sign(compareUtf8(row.b, row.a)), -row.sign || 0);
    });
  }

  test("it agrees with comparing the UTF-8 bytes on 20,000 seeded random pairs (astral, BMP, lone surrogates)", () => {
    const random = seededRandom(20261202);
    const ranges = [
      [0x20, 0x7e],
      [0x80, 0x7ff],
      [0xd000, 0xd7ff],
      [0xd800, 0xdfff],
      [0xe000, 0xffff],
      [0x10000, 0x10ffff],
    ] as const;
    const char = () => {
      const [lo, hi] = ranges[Math.floor(random() * ranges.length)]!;
      return String.fromCodePoint(lo + Math.floor(random() * (hi - lo + 1)));
    };
    // Shared beginnings, so the pairs differ deep inside as well as at the start.
    const word = (stem: string) => stem + Array.from({ length: Math.floor(random() * 4) }, char).join("");
    for (let i = 0; i < 20_000; i++) {
      const stem = Array.from({ length: Math.floor(random() * 3) }, char).join("");
      const [a, b] = [word(stem), word(stem)];
      const expected = Math.sign(Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8")));
      assert.equal(Math.sign(compareUtf8(a, b)), expected, `${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
    }
  });

  test("sorting with it matches sorting the UTF-8 bytes", () => {
    const names = ["a0", "a.txt", "a/", "😀", "\uffff", "\u00e9", "e\u0301", "Z", "a", "日本", "\u007f", "~"];
    const byBytes = [...names].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
    assert.deepEqual([...names].sort(compareUtf8), byBytes);
    assert.deepEqual([...names].sort(compareUtf8).slice(0, 3), ["Z", "a", "a.txt"]);
  });
});

describe("normalisePrefix", () => {
  for (const [input, expected] of [
    ["", ""],
    ["/", ""],
    ["///", ""],
    ["www", "www/"],
    ["www/", "www/"],
    ["/www/", "www/"],
    ["//a/b//", "a/b/"],
    ["sites/é/", "sites/é/"],
  ] as const) {
    test(`${JSON.stringify(input)} → ${JSON.stringify(expected)}`, () =>
      assert.equal(normalisePrefix(input), expected));
  }

  test("is idempotent", () => {
    for (const p of ["", "a", "/a/b/", "x//"]) assert.equal(normalisePrefix(normalisePrefix(p)), normalisePrefix(p));
  });
});

describe("splitKey / joinKey / prefixDir", () => {
  const rows: Array<{ key: string; dir: string; name: string }> = [
    { key: "index.html", dir: "", name: "index.html" },
    { key: "a/b/c.html", dir: "a/b", name: "c.html" },
    { key: "www/😀/x y.png", dir: "www/😀", name: "x y.png" },
    { key: "a/.htaccess", dir: "a", name: ".htaccess" },
  ];
  for (const row of rows) {
    test(`${row.key} splits at the last slash and joins back`, () => {
      assert.deepEqual(splitKey(row.key), { dir: row.dir, name: row.name });
      assert.equal(joinKey(row.dir, row.name), row.key);
    });
  }

  test("prefixDir drops the trailing slash; the root stays empty", () => {
    assert.equal(prefixDir("www/"), "www");
    assert.equal(prefixDir("a/b/"), "a/b");
    assert.equal(prefixDir(""), "");
  });
});

describe("keyProblem", () => {
  const rows: Array<{ why: string; key: string; problem: RegExp | undefined }> = [
    { why: "an ordinary key is fine", key: "www/docs/index.html", problem: undefined },
    { why: "exactly 1024 ASCII bytes is fine", key: "a".repeat(1024), problem: undefined },
    {
      why: "1025 ASCII bytes is too long",
      key: "a".repeat(1025),
      problem: /1025 bytes of UTF-8; S3 allows at most 1024/,
    },
    { why: "512 two-byte é (1024 bytes) is fine", key: "\u00e9".repeat(512), problem: undefined },
    { why: "513 é is 1026 bytes though only 513 characters", key: "\u00e9".repeat(513), problem: /1026 bytes/ },
    { why: "256 emoji (1024 bytes, 512 UTF-16 units) is fine", key: "😀".repeat(256), problem: undefined },
    { why: "257 emoji is 1028 bytes", key: "😀".repeat(257), problem: /1028 bytes/ },
    { why: "a '.' segment is refused", key: "www/./a.html", problem: /'\.' or '\.\.' segment/ },
    { why: "a '..' segment is refused", key: "www/../a.html", problem: /'\.' or '\.\.' segment/ },
    { why: "a trailing '..' segment is refused", key: "www/a/..", problem: /segment/ },
    { why: "a leading '.' segment is refused", key: "./a.html", problem: /segment/ },
    { why: "dots inside a name are fine", key: "www/a..b/...html", problem: undefined },
    { why: "a dot-file is fine", key: "www/.well-known/security.txt", problem: undefined },
    { why: "a '...' segment is fine", key: "www/.../a.html", problem: undefined },
    { why: "a key that is only '..' is refused", key: "..", problem: /segment/ },
    { why: "341 three-byte characters (1023 bytes) are fine", key: "\u65e5".repeat(341), problem: undefined },
    { why: "342 three-byte characters are 1026 bytes", key: "\u65e5".repeat(342), problem: /1026 bytes/ },
  ];
  for (const row of rows) {
    test(row.why, () => {
      const problem = keyProblem(row.key);
      if (row.problem === undefined) assert.equal(problem, undefined);
      else assert.match(problem ?? "", row.problem);
    });
  }

  test("the limit is S3's 1024 bytes", () => assert.equal(MAX_KEY_BYTES, 1024));

  test("a dot segment anywhere, and only a whole one, is refused: every key of dots, slashes and a letter", () => {
    const parts = ["", ".", "..", "...", "a", ".a", "a."];
    for (const x of parts)
      for (const y of parts)
        for (const z of parts) {
          const key = [x, y, z].join("/");
          const dotted = key.split("/").some((segment) => segment === "." || segment === "..");
          assert.equal(keyProblem(key) !== undefined, dotted, JSON.stringify(key));
        }
  });
});
