// Which dot names are published (core/dot-files.ts): the default, the settings of before, publish globs,
// and the names no setting publishes.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { ALL_DOT_FILES, DEFAULT_DOT_FILES, dotFileRule } from "../../core/dot-files.ts";

const name = (path: string) => path.slice(path.lastIndexOf("/") + 1);

describe("dotFileRule", () => {
  const rows: Array<{ path: string; publish: string[]; expected: "never" | "policy" | undefined; why: string }> = [
    { path: "index.html", publish: [], expected: undefined, why: "not a dot name: the rule does not apply" },
    { path: ".well-known", publish: DEFAULT_DOT_FILES.publish, expected: undefined, why: "the default's folder" },
    { path: "shop/.well-known", publish: DEFAULT_DOT_FILES.publish, expected: undefined, why: "at any depth" },
    { path: ".well-known/.hidden", publish: DEFAULT_DOT_FILES.publish, expected: undefined, why: "a dot name in it" },
    { path: ".env", publish: DEFAULT_DOT_FILES.publish, expected: "policy", why: "another dot file" },
    { path: ".git", publish: DEFAULT_DOT_FILES.publish, expected: "policy", why: "a dot folder" },
    { path: "a/.page.html.swp", publish: DEFAULT_DOT_FILES.publish, expected: "policy", why: "an editor's swap file" },
    { path: ".well-known", publish: [], expected: "policy", why: '"exclude": no dot name at all' },
    { path: ".env", publish: ALL_DOT_FILES.publish, expected: undefined, why: '"include": every dot name…' },
    { path: ".htaccess", publish: ALL_DOT_FILES.publish, expected: "never", why: "…but .htaccess" },
    { path: "a/.htpasswd", publish: ALL_DOT_FILES.publish, expected: "never", why: "…and any .ht* file, as Apache" },
    { path: ".sitesync", publish: ALL_DOT_FILES.publish, expected: "never", why: "…and the stack's own folder" },
    { path: "a/.sitesync", publish: ALL_DOT_FILES.publish, expected: undefined, why: "which is only at the root" },
    { path: ".nojekyll", publish: [".nojekyll"], expected: undefined, why: "a glob naming one file" },
    { path: "a/.nojekyll", publish: [".nojekyll"], expected: "policy", why: "only where it says" },
    { path: ".well-known", publish: [".well-known/**"], expected: undefined, why: "a folder's glob ending in /**" },
  ];
  for (const row of rows) {
    test(`${row.path} with ${JSON.stringify(row.publish)}: ${row.why}`, () => {
      assert.equal(dotFileRule({ publish: row.publish })(row.path, name(row.path)), row.expected);
    });
  }
});
