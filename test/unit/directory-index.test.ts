// The CloudFront viewer-request function, run as CloudFront runs it: the file's source, one handler.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { DIRECTORY_INDEX_SOURCE } from "../../lib/distribution.ts";

type Request = { uri: string; querystring?: Record<string, { value: string; multiValue?: Array<{ value: string }> }> };
type Response = { statusCode: number; headers: Record<string, { value: string }> };

const handler = new Function(`${readFileSync(DIRECTORY_INDEX_SOURCE, "utf8")}; return handler;`)() as (event: {
  request: Request;
}) => Request | Response;

const rows: Array<{ why: string; uri: string; query?: Request["querystring"]; uriAfter?: string; redirect?: string }> =
  [
    { why: "the root serves /index.html", uri: "/", uriAfter: "/index.html" },
    { why: "a directory URL with a slash serves its index.html", uri: "/docs/", uriAfter: "/docs/index.html" },
    { why: "nested directories too", uri: "/docs/api/v1/", uriAfter: "/docs/api/v1/index.html" },
    { why: "a directory URL without the slash redirects, so relative links resolve", uri: "/docs", redirect: "/docs/" },
    {
      why: "the redirect keeps the query string",
      uri: "/docs",
      query: { a: { value: "1" }, b: { value: "" } },
      redirect: "/docs/?a=1&b",
    },
    {
      why: "multi-valued parameters are all kept",
      uri: "/docs",
      query: { t: { value: "x", multiValue: [{ value: "x" }, { value: "y" }] } },
      redirect: "/docs/?t=x&t=y",
    },
    { why: "a file is served as asked", uri: "/css/site.css", uriAfter: "/css/site.css" },
    { why: "an explicit index.html is served as asked", uri: "/docs/index.html", uriAfter: "/docs/index.html" },
    {
      why: "percent-encoded names are left alone",
      uri: "/docs/release%20notes%202024.html",
      uriAfter: "/docs/release%20notes%202024.html",
    },
    {
      why: "a dot in a directory name does not make the last segment a file",
      uri: "/v1.2/guide",
      redirect: "/v1.2/guide/",
    },
    // Open redirects: a Location that starts with "//" or "/\\" is another host to a browser.
    { why: "a leading double slash stays on this site", uri: "//evil.example/x", redirect: "/evil.example/x/" },
    { why: "a long run of leading slashes collapses to one", uri: "////evil.example/x", redirect: "/evil.example/x/" },
    {
      why: "a backslash after the slash (browsers read it as a slash) is collapsed",
      uri: "/\\evil.example/x",
      redirect: "/evil.example/x/",
    },
    { why: "mixed slashes and backslashes collapse", uri: "/\\/\\evil.example/x", redirect: "/evil.example/x/" },
    {
      why: "percent-encoded slashes are a path, not a host, and are kept",
      uri: "/%2F%2Fevil.example/x",
      redirect: "/%2F%2Fevil.example/x/",
    },
    {
      why: "a tab inside the leading run (browsers drop it) cannot rebuild a //",
      uri: "/\t/evil.example/x",
      redirect: "/%09/evil.example/x/",
    },
    {
      why: "a newline cannot split the header or rebuild a //",
      uri: "/\n/evil.example/x",
      redirect: "/%0A/evil.example/x/",
    },
    {
      why: "control characters in the query are encoded too",
      uri: "/docs",
      query: { a: { value: "1\r\nx: y" } },
      redirect: "/docs/?a=1%0D%0Ax:%20y",
    },
  ];

/** How a browser resolves a Location header value against this site (tab and newline are removed first). */
function resolvedOrigin(location: string): string {
  return new URL(location.replace(/[\t\n\r]/g, ""), "https://site.example/docs/").origin;
}

describe("directory-index viewer-request function", () => {
  for (const row of rows) {
    test(row.why, () => {
      const out = handler({ request: { uri: row.uri, querystring: row.query ?? {} } });
      if (row.redirect !== undefined) {
        assert.equal((out as Response).statusCode, 301);
        assert.equal((out as Response).headers.location?.value, row.redirect);
        const location = (out as Response).headers.location?.value ?? "";
        assert.equal(resolvedOrigin(location), "https://site.example", "the redirect stays on the site");
      } else {
        assert.equal((out as Request).uri, row.uriAfter);
      }
    });
  }
});
