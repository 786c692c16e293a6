// The edge rules: precedence as Apache applies it, the key value store's layout and CloudFront's limits,
// the listing policy, and the measurement behind "directory markers, not a key value store of directories".
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  buildEdgeRules,
  changedListingScopes,
  directoryIndexFor,
  EDGE_LIMITS,
  indexesEnabled,
  keyValueStoreEntries,
  listingPolicy,
} from "../../core/edge-rules.ts";
import { parseHtaccess } from "../../core/htaccess.ts";

describe("edge rules from .htaccess files", () => {
  test("a subdirectory's redirects come before its parent's (mod_alias merges the override first)", () => {
    const { rules, problems } = buildEdgeRules([
      parseHtaccess("Redirect /docs/old /root-target\nRedirect /x /y", ""),
      parseHtaccess("Redirect /docs/old /docs-target\nRedirect /elsewhere /never", "docs"),
    ]);
    assert.deepEqual(
      rules.redirects.map((r) => [r.scope, r.from, r.to, r.source]),
      [
        ["/docs/", "/docs/old", "/docs-target", "docs/.htaccess:1"],
        ["/", "/docs/old", "/root-target", ".htaccess:1"],
        ["/", "/x", "/y", ".htaccess:2"],
      ],
    );
    assert.deepEqual(problems, [
      {
        source: "docs/.htaccess:2",
        reason: "Redirect /elsewhere never applies: this .htaccess is read only for URLs under /docs/",
      },
    ]);
    const { entries } = keyValueStoreEntries(rules);
    assert.deepEqual(JSON.parse(entries.get("p/docs/old")!), [
      [0, 302, "/docs/", "/docs-target"],
      [1, 302, "/", "/root-target"],
    ]);
    assert.deepEqual(JSON.parse(entries.get("x")!), { v: 1, d: 2, m: {} });
  });

  test("the error page: the root's ErrorDocument, else 404.html; a different one deeper down is reported", () => {
    assert.deepEqual(buildEdgeRules([]).rules.errorPage, { type: "key", key: "404.html", source: "default" });
    assert.deepEqual(buildEdgeRules([], { prefix: "www/", errorPage: "missing.html" }).rules.errorPage, {
      type: "key",
      key: "www/missing.html",
      source: "default",
    });
    const { rules, problems } = buildEdgeRules([
      parseHtaccess("ErrorDocument 404 /errors/not%20found.html", ""),
      parseHtaccess("ErrorDocument 404 /errors/not%20found.html", "same"),
      parseHtaccess('ErrorDocument 404 "Gone fishing"', "other"),
    ]);
    assert.deepEqual(rules.errorPage, { type: "key", key: "errors/not found.html", source: ".htaccess:1" });
    assert.deepEqual(
      problems.map((p) => p.source),
      ["other/.htaccess:1"],
    );
  });

  test("DirectoryIndex and Indexes apply to their directory and below; the nearest wins", () => {
    const { rules } = buildEdgeRules([
      parseHtaccess("Options -Indexes\nDirectoryIndex home.html\nDirectoryIndex index.htm", "private"),
      parseHtaccess("Options +Indexes", "private/open"),
    ]);
    assert.deepEqual(directoryIndexFor(rules, "private/a/b"), ["home.html", "index.htm"]);
    assert.deepEqual(directoryIndexFor(rules, "public"), ["index.html", "index.htm"]);
    assert.equal(indexesEnabled(rules, "private"), false);
    assert.equal(indexesEnabled(rules, "private/x"), false);
    assert.equal(indexesEnabled(rules, "private/open/y"), true);
    assert.equal(indexesEnabled(rules, "privateer"), true, "a name that merely starts the same is not below");
  });

  test("a changed listing policy names the directories to decide again, outermost only", () => {
    const before = listingPolicy(buildEdgeRules([parseHtaccess("Options -Indexes", "a/b")]).rules);
    const after = listingPolicy(
      buildEdgeRules([parseHtaccess("Options +Indexes", "a/b"), parseHtaccess("DirectoryIndex x.html", "c")]).rules,
    );
    assert.deepEqual(changedListingScopes(before, after), ["a/b", "c"]);
    assert.deepEqual(changedListingScopes(after, after), []);
    assert.deepEqual(changedListingScopes(undefined, after), [""], "no earlier policy: every directory");
  });

  test("CloudFront's limits are checked: keys of 512 bytes, values of 1 KB, RedirectMatch chunks", () => {
    const long = `/${"a".repeat(600)}`;
    const many = Array.from({ length: 40 }, (_, i) => `RedirectMatch 301 ^/r${i}/(.*)$ /target-${i}/$1`).join("\n");
    const { rules, problems } = buildEdgeRules([parseHtaccess(`Redirect ${long} /x\n${many}`, "")]);
    assert.deepEqual(
      problems.map((p) => p.source),
      [".htaccess:1"],
      "the rule whose key is too long is left out and reported",
    );
    const { entries } = keyValueStoreEntries(rules);
    const chunks = [...entries.keys()].filter((k) => k.startsWith("m/#"));
    assert.ok(chunks.length > 1, "40 RedirectMatch rules take more than one 1 KB value");
    for (const [key, value] of entries) {
      assert.ok(Buffer.byteLength(key) <= EDGE_LIMITS.keyBytes && Buffer.byteLength(value) <= EDGE_LIMITS.valueBytes);
    }
    assert.equal(JSON.parse(entries.get("x")!).m["/"], chunks.length);
  });
});

/**
 * A site of 1,000,000 files in `directories` folders, shaped like the sample site but deeper: section /
 * topic / group / leaf names of realistic lengths. Returns the directory paths.
 */
function syntheticDirectories(directories: number): string[] {
  const sections = ["documentation", "products", "blog", "downloads", "support", "about", "gallery", "releases"];
  const words = ["getting-started", "api-reference", "release-notes", "monthly-round-up", "customer-stories"];
  const out: string[] = [];
  for (let i = 0; out.length < directories; i++) {
    const section = sections[i % sections.length]!;
    const topic = `${words[i % words.length]}-${Math.floor(i / 40) % 50}`;
    const group = 2000 + (Math.floor(i / 7) % 25);
    out.push(`${section}/${topic}/${group}/${String(i).padStart(6, "0")}`);
  }
  return out;
}

describe("directories at the edge: markers or a key value store (measured for 1,000,000 files)", () => {
  for (const directories of [10_000, 100_000]) {
    test(`${directories.toLocaleString("en")} directories`, (t) => {
      const paths = syntheticDirectories(directories);
      // The cheapest KeyValueStore layout: one key per directory URL ("/docs"), a one-byte value.
      const bytes = paths.reduce((sum, p) => sum + Buffer.byteLength(`/${p}`) + 1, 0);
      const average = bytes / directories - 2;
      t.diagnostic(
        `key value store of directory names: ${bytes.toLocaleString("en")} bytes ` +
          `(${((100 * bytes) / EDGE_LIMITS.keyValueStoreBytes).toFixed(0)}% of 5 MB; paths of ${average.toFixed(1)} ` +
          `bytes on average); markers: ${directories.toLocaleString("en")} objects of ~230 bytes, nothing at the edge`,
      );
      if (directories === 10_000) assert.ok(bytes < EDGE_LIMITS.keyValueStoreBytes);
      // 100,000 directories of 38-byte paths take 4.0 MB: with paths over ~50 bytes on average they do not fit.
      else assert.ok(bytes + directories * 20 > EDGE_LIMITS.keyValueStoreBytes);
    });
  }
});
