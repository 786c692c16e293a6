// .htaccess files as Apache 2.4 reads them: what is carried over, and every line that is not, by number.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { parseHtaccess } from "../../core/htaccess.ts";

describe(".htaccess parser", () => {
  test("Redirect, RedirectPermanent, RedirectTemp and RedirectMatch with every status form", () => {
    const parsed = parseHtaccess(
      [
        "Redirect /a https://example.com/a",
        "Redirect permanent /b /new-b",
        "redirect 307 /c /new-c",
        "Redirect gone /d",
        "Redirect seeother /e /new-e",
        "RedirectPermanent /f /new-f",
        "RedirectTemp /g /new-g",
        'RedirectMatch 301 "^/blog/(\\d+)/(.*)\\.php$" /posts/$1/$2.html',
      ].join("\n"),
      "",
    );
    assert.deepEqual(parsed.unsupported, []);
    assert.deepEqual(
      parsed.directives.map((d: any) => [d.kind, d.status, d.kind === "redirect" ? d.from : d.pattern, d.to]),
      [
        ["redirect", 302, "/a", "https://example.com/a"],
        ["redirect", 301, "/b", "/new-b"],
        ["redirect", 307, "/c", "/new-c"],
        ["redirect", 410, "/d", undefined],
        ["redirect", 303, "/e", "/new-e"],
        ["redirect", 301, "/f", "/new-f"],
        ["redirect", 302, "/g", "/new-g"],
        ["redirectMatch", 301, "^/blog/(\\d+)/(.*)\\.php$", "/posts/$1/$2.html"],
      ],
    );
  });

  test("every line not carried over is reported with its number and why; nothing is dropped silently", () => {
    const parsed = parseHtaccess(
      [
        "# a comment",
        "RewriteEngine On",
        "RewriteCond %{HTTPS} off",
        "AuthType Basic",
        "Require valid-user",
        "AddHandler php-script .php",
        "ErrorDocument 500 /oops.html",
        "ErrorDocument 404 https://other.example/missing",
        "Redirect 301 /x",
        "Redirect /y relative/path",
        "RedirectMatch 301 (?i)^/CaseLess /z",
        "Options +FollowSymLinks -Indexes",
        "<Files secret.txt>",
        "  Require all denied",
        "</Files>",
        "Header set X-Frame-Options DENY",
      ].join("\n"),
      "sub",
    );
    assert.deepEqual(
      parsed.unsupported.map((u) => [u.line, u.directive]),
      [
        [2, "RewriteEngine"],
        [3, "RewriteCond"],
        [4, "AuthType"],
        [5, "Require"],
        [6, "AddHandler"],
        [7, "ErrorDocument"],
        [8, "ErrorDocument"],
        [9, "Redirect"],
        [10, "Redirect"],
        [11, "RedirectMatch"],
        [12, "Options"],
        [13, "<Files>"],
        [14, "Require"],
        [16, "Header"],
      ],
    );
    assert.match(parsed.unsupported[0]!.reason, /mod_rewrite/);
    assert.match(parsed.unsupported[9]!.reason, /inline flags/);
    assert.match(parsed.unsupported[10]!.reason, /FollowSymLinks/);
    // The part of line 12 that has an equivalent is kept.
    assert.deepEqual(parsed.directives, [{ kind: "indexes", line: 12, enabled: false }]);
    assert.equal(parsed.dir, "sub");
  });

  test("ErrorDocument 404, DirectoryIndex and Options in their forms", () => {
    const parsed = parseHtaccess(
      [
        "ErrorDocument 404 /errors/not-found.html",
        'ErrorDocument 404 "Sorry, that page is gone"',
        "ErrorDocument 404 default",
        "DirectoryIndex home.html index.htm",
        "DirectoryIndex disabled",
        "Options None",
        "Options Indexes FollowSymLinks",
        "Options All",
      ].join("\n"),
      "",
    );
    assert.deepEqual(
      parsed.directives.map((d) => {
        if (d.kind === "errorDocument") return d.target;
        if (d.kind === "directoryIndex") return d.names;
        if (d.kind === "indexes") return d.enabled;
        return d.kind;
      }),
      [
        { type: "path", path: "/errors/not-found.html" },
        { type: "text", text: "Sorry, that page is gone" },
        { type: "default" },
        ["home.html", "index.htm"],
        [],
        false,
        true,
        true,
      ],
    );
    assert.deepEqual(
      parsed.unsupported.map((u) => u.line),
      [7],
      "FollowSymLinks is reported, Indexes kept",
    );
  });

  test("continuation lines, quotes, case and <IfModule> sections of the emulated modules", () => {
    const parsed = parseHtaccess(
      [
        "<IfModule mod_alias.c>",
        "  REDIRECT 301 \\",
        "    /joined /target",
        "</IfModule>",
        "<IfModule !mod_alias.c>",
        "  Redirect /never /x",
        "</IfModule>",
        '<IfModule "mod_dir.c">',
        '  DirectoryIndex "my page.html"',
        "</IfModule>",
      ].join("\r\n"),
      "",
    );
    assert.deepEqual(parsed.directives, [
      { kind: "redirect", line: 2, status: 301, from: "/joined", to: "/target" },
      { kind: "directoryIndex", line: 9, names: ["my page.html"] },
    ]);
    assert.deepEqual(
      parsed.unsupported.map((u) => [u.line, u.directive]),
      [[6, "Redirect"]],
      "the negated section's rule is reported as one Apache would skip too",
    );
  });
});
