// The CloudFront functions, run as CloudFront runs them (local/cloudfront-functions.ts: the cloudfront-js-2.0
// runtime's limits and features) over a key value store made by core/edge-rules.ts from .htaccess text.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { buildEdgeRules, keyValueStoreEntries } from "../../core/edge-rules.ts";
import { parseHtaccess } from "../../core/htaccess.ts";
import { DIRECTORY_INDEX_SOURCE, DIRECTORY_MARKER_SOURCE } from "../../lib/distribution.ts";
import {
  type FunctionEvent,
  FunctionExecutionError,
  FunctionRefusedError,
  type FunctionResponse,
  FUNCTION_CODE_MAX_BYTES,
  loadCloudFrontFunction,
} from "../../local/cloudfront-functions.ts";

type Query = Record<string, { value: string; multiValue?: Array<{ value: string }> }>;

const HTACCESS = [
  "Redirect 301 /old-news.html /blog/index.html",
  "Redirect 301 /docs/v1 /docs/v2",
  "Redirect 302 /go https://partner.example/landing",
  "Redirect gone /retired",
  "Redirect 301 /top /",
  "RedirectMatch 301 ^/news/(\\d{4})/?$ /blog/$1/index.html",
].join("\n");

function viewerRequest(htaccess: Record<string, string> = { "": HTACCESS }) {
  const files = Object.entries(htaccess).map(([dir, text]) => parseHtaccess(text, dir));
  const { entries } = keyValueStoreEntries(buildEdgeRules(files).rules);
  return loadCloudFrontFunction(readFileSync(DIRECTORY_INDEX_SOURCE, "utf8"), {
    name: "directory-index",
    eventType: "viewer-request",
    kvs: { get: async (key) => entries.get(key) },
  });
}

function event(uri: string, querystring: Query = {}, response?: FunctionResponse): FunctionEvent {
  const eventType = response ? "viewer-response" : "viewer-request";
  return {
    version: "1.0",
    context: { distributionDomainName: "d1.cloudfront.net", distributionId: "E1", eventType, requestId: "r" },
    viewer: { ip: "192.0.2.1" },
    request: { method: "GET", uri, querystring, headers: {}, cookies: {} },
    ...(response ? { response } : {}),
  };
}

describe("viewer-request function (directory-index.js)", () => {
  const fn = viewerRequest();
  const rows: Array<{ why: string; uri: string; query?: Query; uriAfter?: string; status?: number; to?: string }> = [
    { why: "the root serves /index.html", uri: "/", uriAfter: "/index.html" },
    { why: "a directory URL serves its index.html", uri: "/docs/", uriAfter: "/docs/index.html" },
    { why: "nested directories too", uri: "/docs/api/v1/", uriAfter: "/docs/api/v1/index.html" },
    { why: "an extensionless name goes to the bucket as a file", uri: "/LICENSE", uriAfter: "/LICENSE" },
    { why: "so does a directory without its slash (the marker answers)", uri: "/docs", uriAfter: "/docs" },
    { why: "a file is served as asked", uri: "/css/site.css", uriAfter: "/css/site.css" },
    { why: "percent-encoded names are left alone", uri: "/a%20b.html", uriAfter: "/a%20b.html" },
    { why: "Redirect matches its URL-path", uri: "/old-news.html", status: 301, to: "/blog/index.html" },
    { why: "Redirect keeps the rest of the path", uri: "/docs/v1/guide.html", status: 301, to: "/docs/v2/guide.html" },
    { why: "Redirect matches at segment boundaries only", uri: "/docs/v10/", uriAfter: "/docs/v10/index.html" },
    {
      why: "the query string is kept",
      uri: "/go",
      query: { a: { value: "1" }, b: { value: "" } },
      status: 302,
      to: "https://partner.example/landing?a=1&b",
    },
    { why: "gone answers 410 without a Location", uri: "/retired/page.html", status: 410 },
    { why: "RedirectMatch substitutes its groups", uri: "/news/2023", status: 301, to: "/blog/2023/index.html" },
    { why: "a RedirectMatch that does not match", uri: "/news/latest", uriAfter: "/news/latest" },
    { why: "a redirect to / cannot become //host", uri: "/top//evil.example/x", status: 301, to: "/evil.example/x" },
  ];
  for (const row of rows) {
    test(row.why, async () => {
      const out = await fn.run(event(row.uri, row.query));
      if (row.status !== undefined) {
        const response = out as FunctionResponse;
        assert.equal(response.statusCode, row.status);
        assert.equal(response.headers?.location?.value, row.to);
        if (row.to?.startsWith("/"))
          assert.equal(new URL(row.to, "https://site.example/").origin, "https://site.example");
      } else {
        assert.equal((out as { uri: string }).uri, row.uriAfter);
      }
    });
  }

  test("a deeper .htaccess's rule wins over its parent's for the same path", async () => {
    const deeper = viewerRequest({ "": "Redirect /docs/a /from-root", docs: "Redirect /docs/a /from-docs" });
    const out = (await deeper.run(event("/docs/a/x.html"))) as FunctionResponse;
    assert.equal(out.headers?.location?.value, "/from-docs/x.html");
  });

  test("without a key value store entry the site is served unchanged", async () => {
    const none = viewerRequest({});
    assert.equal(((await none.run(event("/old-news.html"))) as { uri: string }).uri, "/old-news.html");
  });
});

describe("viewer-response function (directory-marker.js)", () => {
  const fn = loadCloudFrontFunction(readFileSync(DIRECTORY_MARKER_SOURCE, "utf8"), {
    name: "directory-marker",
    eventType: "viewer-response",
  });
  const marker = (): FunctionResponse => ({
    statusCode: 200,
    headers: { "x-amz-meta-sitesync-version": { value: "directory" }, "content-length": { value: "180" } },
  });

  test("a marker becomes a 301 to the directory, query kept, read-only headers untouched", async () => {
    const out = (await fn.run(
      event("/docs", { t: { value: "x", multiValue: [{ value: "x" }, { value: "y" }] } }, marker()),
    )) as FunctionResponse;
    assert.equal(out.statusCode, 301);
    assert.equal(out.headers?.location?.value, "/docs/?t=x&t=y");
    assert.equal(out.headers?.["content-length"]?.value, "180");
  });

  test("a file (any other version) is served as it is", async () => {
    const file = { statusCode: 200, headers: { "x-amz-meta-sitesync-version": { value: "v1-abc" } } };
    assert.deepEqual(await fn.run(event("/LICENSE", {}, file)), file);
  });

  for (const [uri, location] of [
    ["//evil.example/x", "/evil.example/x/"],
    ["/\\evil.example/x", "/evil.example/x/"],
    ["/\t/evil.example/x", "/%09/evil.example/x/"],
  ] as const) {
    test(`an open redirect through ${JSON.stringify(uri)} stays on the site`, async () => {
      const out = (await fn.run(event(uri, {}, marker()))) as FunctionResponse;
      assert.equal(out.headers?.location?.value, location);
      const resolved = new URL(location.replace(/[\t\n\r]/g, ""), "https://site.example/docs/");
      assert.equal(resolved.origin, "https://site.example");
    });
  }
});

describe("the cloudfront-js-2.0 emulation refuses what CloudFront refuses", () => {
  test("the deployed functions fit CloudFront's 10 KB", () => {
    for (const file of [DIRECTORY_INDEX_SOURCE, DIRECTORY_MARKER_SOURCE]) {
      assert.ok(readFileSync(file).length <= FUNCTION_CODE_MAX_BYTES, file);
    }
  });

  const refused: Array<[string, string, RegExp]> = [
    [
      "code over 10 KB",
      `function handler(e) { return e.request; }\n//${"x".repeat(10_300)}`,
      /FunctionSizeLimitExceeded/,
    ],
    ["for…of", "function handler(e) { for (const x of [1]) {} return e.request; }", /for…of/],
    ["destructuring", "function handler(e) { const { request } = e; return request; }", /destructuring/],
    ["spread", "function handler(e) { return { ...e.request }; }", /spread/],
    ["classes", "class A {}\nfunction handler(e) { return e.request; }", /classes/],
    ["optional chaining", "function handler(e) { return e?.request; }", /optional chaining/],
    ["catch without a binding", "function handler(e) { try {} catch { } return e.request; }", /catch/],
    ["an unknown module", 'import fs from "fs";\nfunction handler(e) { return e.request; }', /no such module/],
  ];
  for (const [why, code, message] of refused) {
    test(why, () => {
      assert.throws(
        () => loadCloudFrontFunction(code, { name: "f", eventType: "viewer-request" }),
        (err: Error) => err instanceof FunctionRefusedError && message.test(err.message),
      );
    });
  }

  test("eval, the Function constructor, timers and Map are not there at run time", async () => {
    for (const body of ["eval('1')", "new Function('return 1')()", "setTimeout(() => 1, 1)", "new Map()"]) {
      const fn = loadCloudFrontFunction(`function handler(e) { ${body}; return e.request; }`, {
        name: "f",
        eventType: "viewer-request",
      });
      await assert.rejects(fn.run(event("/")), (err: Error) => err instanceof FunctionExecutionError, body);
    }
  });

  test("a viewer-response function may not change a read-only header", async () => {
    const fn = loadCloudFrontFunction(
      'function handler(e) { e.response.headers["content-length"] = { value: "1" }; return e.response; }',
      { name: "f", eventType: "viewer-response" },
    );
    const response = { statusCode: 200, headers: { "content-length": { value: "5" } } };
    await assert.rejects(fn.run(event("/", {}, response)), /read-only header content-length/);
  });
});
