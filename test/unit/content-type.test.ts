// Content-Type for a key (core/content-type.ts).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  contentTypeFor,
  extensionOf,
  looksLikeText,
  SNIFF_BYTES,
  type ContentTypeRules,
} from "../../core/content-type.ts";

describe("contentTypeFor with default rules", () => {
  const rows: Array<{ key: string; expected: string; why: string }> = [
    { key: "index.html", expected: "text/html; charset=utf-8", why: "HTML is textual: charset added" },
    { key: "www/css/site.css", expected: "text/css; charset=utf-8", why: "CSS is textual" },
    { key: "js/app.js", expected: "text/javascript; charset=utf-8", why: "JavaScript is textual" },
    { key: "js/app.mjs", expected: "text/javascript; charset=utf-8", why: "ES modules are JavaScript" },
    {
      key: "data.json",
      expected: "application/json; charset=utf-8",
      why: "JSON gets a charset (application/ but textual)",
    },
    { key: "feed.xml", expected: "application/xml; charset=utf-8", why: "XML gets a charset" },
    { key: "logo.svg", expected: "image/svg+xml; charset=utf-8", why: "SVG is XML: charset added" },
    { key: "site.webmanifest", expected: "application/manifest+json; charset=utf-8", why: "web manifest is JSON" },
    { key: "readme.txt", expected: "text/plain; charset=utf-8", why: "plain text" },
    { key: "photo.jpg", expected: "image/jpeg", why: "binary image: no charset" },
    { key: "logo.png", expected: "image/png", why: "PNG: no charset" },
    { key: "fonts/site.woff2", expected: "font/woff2", why: "font: no charset" },
    { key: "files/report.pdf", expected: "application/pdf", why: "PDF: no charset" },
    { key: "app.wasm", expected: "application/wasm", why: "WebAssembly must be served as such to stream-compile" },
    { key: "archive.tar.gz", expected: "application/gzip", why: "the last extension decides" },
    { key: "PHOTO.JPG", expected: "image/jpeg", why: "extensions are case-insensitive" },
    { key: "Index.HTML", expected: "text/html; charset=utf-8", why: "upper-case HTML still gets a charset" },
    { key: "LICENSE", expected: "application/octet-stream", why: "no extension → fallback" },
    { key: "docs/Makefile", expected: "application/octet-stream", why: "no extension in a subdirectory → fallback" },
    {
      key: "dir.d/README",
      expected: "application/octet-stream",
      why: "a dot in the directory is not the name's extension",
    },
    { key: ".htaccess", expected: "application/octet-stream", why: "a dot-file has no extension" },
    { key: "www/.well-known/.env", expected: "application/octet-stream", why: "a nested dot-file has no extension" },
    { key: "notes.", expected: "application/octet-stream", why: "a trailing dot is no extension" },
    { key: "blob.qqqzzz", expected: "application/octet-stream", why: "unknown extension → fallback" },
  ];
  for (const row of rows) {
    test(`${row.key}: ${row.why}`, () => assert.equal(contentTypeFor(row.key), row.expected));
  }
});

describe("contentTypeFor with configured rules", () => {
  const rows: Array<{ why: string; key: string; rules: ContentTypeRules; expected: string }> = [
    {
      why: "override without a dot wins over the database",
      key: "x/a.map",
      rules: { overrides: { map: "application/octet-stream" } },
      expected: "application/octet-stream",
    },
    {
      why: "override with a dot",
      key: "a.map",
      rules: { overrides: { ".map": "text/plain" } },
      expected: "text/plain",
    },
    {
      why: "override key in capitals matches a lower-case extension",
      key: "a.map",
      rules: { overrides: { ".MAP": "text/x-map" } },
      expected: "text/x-map",
    },
    {
      why: "override matches an upper-case extension",
      key: "A.MAP",
      rules: { overrides: { map: "text/x-map" } },
      expected: "text/x-map",
    },
    {
      why: "override value is used verbatim (no charset appended)",
      key: "a.html",
      rules: { overrides: { html: "text/html" } },
      expected: "text/html",
    },
    {
      why: "override can give a type to an unknown extension",
      key: "a.qqqzzz",
      rules: { overrides: { qqqzzz: "text/x-q" } },
      expected: "text/x-q",
    },
    {
      why: "an override for another extension does not apply",
      key: "a.css",
      rules: { overrides: { js: "text/plain" } },
      expected: "text/css; charset=utf-8",
    },
    {
      why: "overrides never apply to names without an extension",
      key: "LICENSE",
      rules: { overrides: { "": "text/plain", LICENSE: "text/plain" } },
      expected: "application/octet-stream",
    },
    {
      why: "charset null leaves textual types bare (site not in UTF-8)",
      key: "a.html",
      rules: { charset: null },
      expected: "text/html",
    },
    { why: "charset null leaves JSON bare", key: "a.json", rules: { charset: null }, expected: "application/json" },
    {
      why: "a configured charset is used",
      key: "a.html",
      rules: { charset: "iso-8859-1" },
      expected: "text/html; charset=iso-8859-1",
    },
    {
      why: "a configured charset is not added to binary types",
      key: "a.png",
      rules: { charset: "iso-8859-1" },
      expected: "image/png",
    },
    {
      why: "configured fallback for no extension",
      key: "LICENSE",
      rules: { fallback: "text/plain" },
      expected: "text/plain; charset=utf-8",
    },
    {
      why: "configured fallback for an unknown extension",
      key: "a.qqqzzz",
      rules: { fallback: "application/x-unknown" },
      expected: "application/x-unknown",
    },
    {
      why: "configured fallback for a dot-file",
      key: ".htaccess",
      rules: { fallback: "text/plain", charset: null },
      expected: "text/plain",
    },
    {
      why: "fallback does not replace a known type",
      key: "a.png",
      rules: { fallback: "text/plain" },
      expected: "image/png",
    },
  ];
  for (const row of rows) {
    test(row.why, () => assert.equal(contentTypeFor(row.key, row.rules), row.expected));
  }
});

describe("contentTypeFor a name with no type of its own, from its first bytes", () => {
  const text = { looksText: true };
  const binary = { looksText: false };
  const rows: Array<{ why: string; key: string; rules?: ContentTypeRules; sniff?: typeof text; expected: string }> = [
    { why: "LICENSE as text", key: "LICENSE", sniff: text, expected: "text/plain; charset=utf-8" },
    { why: "an unknown extension as text", key: "notes.qqqzzz", sniff: text, expected: "text/plain; charset=utf-8" },
    { why: "binary bytes stay octet-stream", key: "bin/tool", sniff: binary, expected: "application/octet-stream" },
    { why: "no bytes read (adoption): octet-stream", key: "LICENSE", expected: "application/octet-stream" },
    { why: "a known type is never sniffed", key: "photo.jpg", sniff: text, expected: "image/jpeg" },
    {
      why: "a configured fallback wins over the sniff",
      key: "LICENSE",
      rules: { fallback: "application/x-custom" },
      sniff: text,
      expected: "application/x-custom",
    },
    { why: "charset null leaves it off", key: "README", rules: { charset: null }, sniff: text, expected: "text/plain" },
    {
      why: "Apple's app-site association file is JSON, as Apple requires",
      key: ".well-known/apple-app-site-association",
      sniff: text,
      expected: "application/json; charset=utf-8",
    },
  ];
  for (const row of rows) {
    test(row.why, () => assert.equal(contentTypeFor(row.key, row.rules, row.sniff), row.expected));
  }
});

describe("looksLikeText", () => {
  const utf8 = (s: string) => Buffer.from(s, "utf8");
  const cut = Buffer.concat([Buffer.alloc(SNIFF_BYTES - 1, 0x61), utf8("é")]);
  const rows: Array<[string, Uint8Array, boolean]> = [
    ["ASCII with tabs, newlines and CRLF", utf8("MIT License\r\n\tCopyright\n"), true],
    ["UTF-8 beyond ASCII", utf8("Ærøskøbing — «texte» 日本"), true],
    ["empty", new Uint8Array(0), true],
    ["an escape sequence (coloured terminal output)", utf8("\u001b[31mred\u001b[0m"), true],
    ["a character cut at the end of the sample", cut, true],
    ["a NUL byte", utf8("abc\u0000def"), false],
    ["another control character", utf8("abc\u0002def"), false],
    ["Latin-1 text, not UTF-8", Buffer.from("caf\u00e9 cr\u00e8me", "latin1"), false],
    ["a PNG header", Buffer.from("89504e470d0a1a0a0000000d49484452", "hex"), false],
  ];
  for (const [why, bytes, expected] of rows) test(why, () => assert.equal(looksLikeText(bytes), expected));
});

describe("extensionOf", () => {
  for (const [key, ext] of [
    ["a/b.HTML", "html"],
    ["a.b/c", ""],
    [".env", ""],
    ["x.tar.gz", "gz"],
    ["a/.b.c", "c"],
    ["", ""],
  ] as const) {
    test(`${JSON.stringify(key)} → ${JSON.stringify(ext)}`, () => assert.equal(extensionOf(key), ext));
  }
});
