// Rewrite copies and Cache-Control rules (core/publish-rules.ts).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { ConfigError } from "../../core/errors.ts";
import {
  cacheControlFor,
  copyOfValue,
  EMPTY_PUBLISH_RULES,
  originalsOf,
  parsePublishRules,
  rewriteCopies,
  type PublishRules,
} from "../../core/publish-rules.ts";

const SOURCE = "SITESYNC_PUBLISH_RULES";

describe("parsePublishRules", () => {
  test("absent rules are empty", () => {
    assert.deepEqual(parsePublishRules(undefined, SOURCE), EMPTY_PUBLISH_RULES);
    assert.deepEqual(parsePublishRules(null, SOURCE), EMPTY_PUBLISH_RULES);
    assert.deepEqual(parsePublishRules({}, SOURCE), { rewrites: [], cacheControl: [] });
  });

  test("prefixes are normalised; rules kept in order", () => {
    const rules = parsePublishRules(
      {
        rewrites: [{ from: "/docs", to: ["/v2/docs", "archive/docs//"] }],
        cacheControl: [
          { match: "**/*.html", value: "max-age=300" },
          { match: "assets/**", value: "max-age=31536000, immutable" },
        ],
      },
      SOURCE,
    );
    assert.deepEqual(rules, {
      rewrites: [{ from: "docs/", to: ["v2/docs/", "archive/docs/"] }],
      cacheControl: [
        { match: "**/*.html", value: "max-age=300" },
        { match: "assets/**", value: "max-age=31536000, immutable" },
      ],
    });
  });

  const bad: Array<{ why: string; raw: unknown; field: string; problem: RegExp; example: boolean }> = [
    { why: "rules not an object", raw: "rewrites", field: "publishRules", problem: /must be an object/, example: true },
    { why: "rules as an array", raw: [], field: "publishRules", problem: /must be an object/, example: true },
    {
      why: "rewrites not an array",
      raw: { rewrites: {} },
      field: "rewrites",
      problem: /must be an array/,
      example: false,
    },
    {
      why: "cacheControl not an array",
      raw: { cacheControl: "x" },
      field: "cacheControl",
      problem: /must be an array/,
      example: false,
    },
    {
      why: "a rewrite not an object",
      raw: { rewrites: [null] },
      field: "rewrites[0]",
      problem: /must be an object/,
      example: true,
    },
    {
      why: "from missing",
      raw: { rewrites: [{ to: ["b/"] }] },
      field: "rewrites[0].from",
      problem: /must be a string/,
      example: true,
    },
    {
      why: "to missing",
      raw: { rewrites: [{ from: "a/" }] },
      field: "rewrites[0].to",
      problem: /non-empty array/,
      example: true,
    },
    {
      why: "to empty",
      raw: { rewrites: [{ from: "a/", to: [] }] },
      field: "rewrites[0].to",
      problem: /non-empty array/,
      example: true,
    },
    {
      why: "to holds an empty prefix",
      raw: { rewrites: [{ from: "a/", to: [""] }] },
      field: "rewrites[0].to",
      problem: /non-empty prefixes/,
      example: true,
    },
    {
      why: "to is a string, not an array",
      raw: { rewrites: [{ from: "a/", to: "b/" }] },
      field: "rewrites[0].to",
      problem: /non-empty array/,
      example: true,
    },
    {
      why: "the second rule is named by its index",
      raw: {
        rewrites: [
          { from: "a/", to: ["b/"] },
          { from: 3, to: ["c/"] },
        ],
      },
      field: "rewrites[1].from",
      problem: /must be a string/,
      example: true,
    },
    {
      why: "target inside from (copies would be copied again)",
      raw: { rewrites: [{ from: "docs/", to: ["docs/v2/"] }] },
      field: "rewrites[0].to",
      problem: /"docs\/v2\/" overlaps "docs\/"/,
      example: true,
    },
    {
      why: "from inside target",
      raw: { rewrites: [{ from: "v2/docs/", to: ["v2/"] }] },
      field: "rewrites[0].to",
      problem: /"v2\/" overlaps "v2\/docs\/"/,
      example: true,
    },
    {
      why: "target equal to from",
      raw: { rewrites: [{ from: "docs", to: ["/docs/"] }] },
      field: "rewrites[0].to",
      problem: /overlaps/,
      example: true,
    },
    {
      why: "from the whole site overlaps every target",
      raw: { rewrites: [{ from: "", to: ["v2/"] }] },
      field: "rewrites[0].to",
      problem: /"v2\/" overlaps ""/,
      example: true,
    },
    {
      why: "a target that normalises to the root overlaps",
      raw: { rewrites: [{ from: "docs/", to: ["/"] }] },
      field: "rewrites[0].to",
      problem: /overlaps/,
      example: true,
    },
    {
      why: "cacheControl rule not an object",
      raw: { cacheControl: [7] },
      field: "cacheControl[0]",
      problem: /must be an object/,
      example: true,
    },
    {
      why: "match empty",
      raw: { cacheControl: [{ match: "", value: "no-cache" }] },
      field: "cacheControl[0].match",
      problem: /must be a glob/,
      example: true,
    },
    {
      why: "value missing",
      raw: { cacheControl: [{ match: "**" }] },
      field: "cacheControl[0].value",
      problem: /one-line header value/,
      example: true,
    },
    {
      why: "value with a newline (header injection)",
      raw: { cacheControl: [{ match: "**", value: "no-cache\r\nX-Evil: 1" }] },
      field: "cacheControl[0].value",
      problem: /one-line header value/,
      example: true,
    },
  ];
  for (const row of bad) {
    test(`rejects ${row.why}, naming ${row.field}`, () => {
      assert.throws(
        () => parsePublishRules(row.raw, SOURCE),
        (err: Error) => {
          assert.ok(err instanceof ConfigError);
          assert.equal(err.source, SOURCE);
          assert.equal(err.field, row.field);
          assert.ok(err.message.startsWith(`${SOURCE}: "${row.field}" `), err.message);
          assert.match(err.message, row.problem);
          if (row.example) assert.match(err.message, /\(for example: .+\)$/);
          return true;
        },
      );
    });
  }
});

describe("rewriteCopies", () => {
  const rules: PublishRules = parsePublishRules(
    {
      rewrites: [
        { from: "docs/", to: ["v2/docs/", "archive/"] },
        { from: "docs/api/", to: ["api/"] },
        { from: "img/", to: ["archive/"] },
      ],
    },
    SOURCE,
  );
  const rows: Array<{ why: string; relKey: string; prefix: string; expected: string[] }> = [
    {
      why: "one rule, two targets, under the site prefix",
      relKey: "docs/guide/intro.html",
      prefix: "www/",
      expected: ["www/v2/docs/guide/intro.html", "www/archive/guide/intro.html"],
    },
    { why: "no site prefix", relKey: "docs/a.html", prefix: "", expected: ["v2/docs/a.html", "archive/a.html"] },
    {
      why: "two matching rules both contribute",
      relKey: "docs/api/x.json",
      prefix: "www/",
      expected: ["www/v2/docs/api/x.json", "www/archive/api/x.json", "www/api/x.json"],
    },
    { why: "no rule matches", relKey: "blog/post.html", prefix: "www/", expected: [] },
    {
      why: "'docs/' does not match 'docsx/' (prefix is a directory)",
      relKey: "docsx/a.html",
      prefix: "www/",
      expected: [],
    },
    { why: "a key equal to the directory without slash does not match", relKey: "docs", prefix: "www/", expected: [] },
    {
      why: "the part after from is kept byte-exact",
      relKey: "docs/😀/e\u0301.html",
      prefix: "www/",
      expected: ["www/v2/docs/😀/e\u0301.html", "www/archive/😀/e\u0301.html"],
    },
  ];
  for (const row of rows) {
    test(row.why, () => assert.deepEqual(rewriteCopies(row.relKey, row.prefix, rules), row.expected));
  }

  test("duplicate copies from two rules are made once", () => {
    const dup = parsePublishRules(
      {
        rewrites: [
          { from: "a/", to: ["c/"] },
          { from: "a/", to: ["c/", "d/"] },
        ],
      },
      SOURCE,
    );
    assert.deepEqual(rewriteCopies("a/x", "www/", dup), ["www/c/x", "www/d/x"]);
  });

  test("no rules, no copies", () => assert.deepEqual(rewriteCopies("docs/a.html", "www/", EMPTY_PUBLISH_RULES), []));
});

describe("originalsOf: the keys whose copies land on a key", () => {
  const rules: PublishRules = parsePublishRules(
    {
      rewrites: [
        { from: "docs/", to: ["v2/docs/", "archive/"] },
        { from: "img/", to: ["archive/"] },
      ],
    },
    SOURCE,
  );
  const rows: Array<{ why: string; relKey: string; expected: string[] }> = [
    {
      why: "a copy's key names its original, under the site prefix",
      relKey: "v2/docs/guide/a.html",
      expected: ["www/docs/guide/a.html"],
    },
    {
      why: "two rules copying into one prefix: both are candidates, in rule order",
      relKey: "archive/x.png",
      expected: ["www/docs/x.png", "www/img/x.png"],
    },
    { why: "an original's own key has no original", relKey: "docs/a.html", expected: [] },
    { why: "a key outside every target has none", relKey: "blog/post.html", expected: [] },
    { why: "'archive/' does not match 'archived/'", relKey: "archived/x", expected: [] },
  ];
  for (const row of rows) {
    test(row.why, () => assert.deepEqual(originalsOf(row.relKey, "www/", rules), row.expected));
  }

  test("every copy rewriteCopies makes leads back to its original", () => {
    for (const copy of rewriteCopies("docs/😀/e\u0301.html", "www/", rules)) {
      assert.ok(originalsOf(copy.slice("www/".length), "www/", rules).includes("www/docs/😀/e\u0301.html"), copy);
    }
  });
});

describe("copyOfValue: the metadata naming a copy's original", () => {
  test("the key, percent-encoded so any character fits an HTTP header", () => {
    assert.equal(copyOfValue("www/docs/a b/é\n.html"), "www%2Fdocs%2Fa%20b%2F%C3%A9%0A.html");
  });

  test("a key too long to encode within S3's 2 KB of metadata is named by its digest", () => {
    const value = copyOfValue(`www/${"é".repeat(500)}`);
    assert.match(value, /^sha256:[0-9a-f]{64}$/);
    assert.notEqual(value, copyOfValue(`www/${"é".repeat(499)}è`), "different keys, different values");
  });
});

describe("cacheControlFor", () => {
  const rules = parsePublishRules(
    {
      cacheControl: [
        { match: "assets/**", value: "max-age=31536000, immutable" },
        { match: "**/*.html", value: "max-age=300" },
        { match: "*.xml", value: "max-age=60" },
        { match: "**", value: "max-age=3600" },
      ],
    },
    SOURCE,
  );
  const rows: Array<{ why: string; relKey: string; expected: string | undefined }> = [
    {
      why: "assets/** covers nested paths",
      relKey: "assets/js/vendor/app.js",
      expected: "max-age=31536000, immutable",
    },
    {
      why: "first match wins: an HTML file under assets/ takes the assets rule",
      relKey: "assets/embed.html",
      expected: "max-age=31536000, immutable",
    },
    { why: "**/*.html matches at the root", relKey: "index.html", expected: "max-age=300" },
    { why: "**/*.html matches deep in the tree", relKey: "docs/a/b/c/page.html", expected: "max-age=300" },
    {
      why: "**/*.html matches under a dot-directory (dot: true)",
      relKey: ".well-known/x.html",
      expected: "max-age=300",
    },
    { why: "*.xml matches at the root only", relKey: "feed.xml", expected: "max-age=60" },
    {
      why: "*.xml does not match nested files; they fall through to **",
      relKey: "blog/feed.xml",
      expected: "max-age=3600",
    },
    { why: "assets/** is anchored: x/assets/ is not assets/", relKey: "x/assets/app.js", expected: "max-age=3600" },
    { why: "globs are case-sensitive: .HTML is not .html", relKey: "PAGE.HTML", expected: "max-age=3600" },
    { why: "** catches dot-files too", relKey: ".htaccess", expected: "max-age=3600" },
  ];
  for (const row of rows) {
    test(row.why, () => assert.equal(cacheControlFor(row.relKey, rules), row.expected));
  }

  test("no matching rule → no header", () => {
    const only = parsePublishRules({ cacheControl: [{ match: "**/*.css", value: "max-age=1" }] }, SOURCE);
    assert.equal(cacheControlFor("index.html", only), undefined);
    assert.equal(cacheControlFor("index.html", EMPTY_PUBLISH_RULES), undefined);
  });

  test("order of the rules decides, not their specificity", () => {
    const broadFirst = parsePublishRules(
      {
        cacheControl: [
          { match: "**", value: "broad" },
          { match: "**/*.html", value: "narrow" },
        ],
      },
      SOURCE,
    );
    assert.equal(cacheControlFor("a/b.html", broadFirst), "broad");
  });
});
