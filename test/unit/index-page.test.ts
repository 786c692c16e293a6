// Generated directory listing pages (core/index-page.ts), read as a visitor's browser would read them.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { compareUtf8 } from "../../core/keys.ts";
import {
  GENERATED_MARKER,
  GENERATED_METADATA,
  listingOrder,
  renderListing,
  renderListingFoot,
  renderListingHead,
  renderListingRows,
  type ListingEntry,
} from "../../core/index-page.ts";

const file = (name: string, size?: number, mtime?: string): ListingEntry => ({ name, kind: "file", size, mtime });
const dir = (name: string, mtime?: string): ListingEntry => ({ name, kind: "dir", mtime });

interface Row {
  href: string;
  /** The link text as the browser shows it (entities decoded). */
  text: string;
  size: string;
  /** The size cell's title, if any. */
  exact: string | undefined;
  date: string;
}

const ROW = new RegExp(
  String.raw`^<tr><td><a href="([^"<>]*)">([^"<>]*)<\/a><\/td>` +
    String.raw`<td(?: title="([^"<>]*)")?>([^"<>]*)<\/td><td>([^"<>]*)<\/td><\/tr>$`,
);

/** Every line of the table body must be one well-formed row: a name that broke the markup fails here. */
function rowsOf(html: string): Row[] {
  const body = html.slice(html.indexOf("<tbody>\n") + "<tbody>\n".length, html.indexOf("</tbody>"));
  return body
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => {
      const m = ROW.exec(line);
      assert.ok(m, `not a well-formed row: ${JSON.stringify(line)}`);
      return { href: m[1]!, text: unescapeHtml(m[2]!), exact: m[3], size: m[4]!, date: m[5]! };
    });
}

function unescapeHtml(text: string): string {
  return text
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, "&");
}

/** The rows for entries, without the parent link. */
function entryRows(entries: ListingEntry[]): Row[] {
  return rowsOf(renderListing("docs", entries)).filter((row) => row.href !== "../");
}

const ALLOWED_TAGS = new Set([
  "html",
  "head",
  "meta",
  "title",
  "style",
  "body",
  "h1",
  "p",
  "table",
  "thead",
  "tbody",
  "tr",
  "th",
  "td",
  "a",
]);
const ALLOWED_ATTRIBUTES = new Set(["lang", "charset", "name", "content", "http-equiv", "href", "title"]);

/** Names are escaped, so every "<…>" in the page is markup sitesync wrote; it must all be on the allowlist. */
function assertOnlyOwnMarkup(html: string): void {
  for (const [tag] of html.matchAll(/<[^>]*>/g)) {
    if (tag === "<!DOCTYPE html>" || tag === GENERATED_MARKER) continue;
    const m = /^<\/?([a-z0-9]+)((?: [a-z-]+="[^"]*")*)>$/.exec(tag);
    assert.ok(m, `unexpected markup ${JSON.stringify(tag)}`);
    assert.ok(ALLOWED_TAGS.has(m[1]!), `unexpected element in ${tag}`);
    for (const [, attribute] of m[2]!.matchAll(/ ([a-z-]+)="[^"]*"/g)) {
      assert.ok(ALLOWED_ATTRIBUTES.has(attribute!), `unexpected attribute ${attribute} in ${tag}`);
    }
  }
}

describe("names are shown as text, never as markup", () => {
  const hostile: Array<{ why: string; name: string }> = [
    { why: "a script tag", name: "<script>alert(1)</script>.html" },
    { why: "an upper-case script tag", name: "<SCRIPT SRC=//evil.example/x.js></SCRIPT>" },
    { why: "a name that closes the href and adds a handler", name: '"onmouseover="alert(1).html' },
    { why: "the same with single quotes", name: "'onmouseover='alert(1).html" },
    { why: "an img with onerror", name: "<img src=x onerror=alert(1)>.png" },
    { why: "a name that closes the table", name: "</td></tr></tbody></table><h1>owned</h1>" },
    { why: "a name that ends the title", name: "</title><script>x</script>" },
    { why: "an entity-looking name stays literal", name: "a&amp;b&lt;c.txt" },
    { why: "ampersands and angle brackets", name: "a & b <c> d.txt" },
  ];
  for (const { why, name } of hostile) {
    test(`${why}: shown exactly, adds no markup`, () => {
      for (const entry of [file(name, 1), dir(name)]) {
        const html = renderListing("docs", [entry]);
        assert.doesNotMatch(html, /<script/i);
        assertOnlyOwnMarkup(html);
        const [row] = entryRows([entry]);
        assert.equal(row?.text, entry.kind === "dir" ? `${name}/` : name);
      }
    });
  }

  test("a hostile directory name or title is escaped in the title and heading", () => {
    for (const html of [
      renderListing("<script>x</script>/\"a'", []),
      renderListing("docs", [], { title: "</title><script>alert(1)</script>" }),
    ]) {
      assert.doesNotMatch(html, /<script/i);
      assertOnlyOwnMarkup(html);
    }
  });

  const controls: Array<{ why: string; name: string; shown: string }> = [
    { why: "a newline shows as ␊ and keeps the row on one line", name: "a\nb.txt", shown: "a\u240ab.txt" },
    { why: "a carriage return shows as ␍", name: "a\rb.txt", shown: "a\u240db.txt" },
    { why: "a tab shows as ␉", name: "a\tb.txt", shown: "a\u2409b.txt" },
    { why: "NUL, which parsers drop, shows as ␀", name: "a\u0000b.txt", shown: "a\u2400b.txt" },
    { why: "DEL shows as ␡", name: "a\u007fb.txt", shown: "a\u2421b.txt" },
    { why: "a C1 control (NEL) shows as U+FFFD", name: "a\u0085b.txt", shown: "a\ufffdb.txt" },
  ];
  for (const { why, name, shown } of controls) {
    test(`control characters: ${why}`, () => {
      const html = renderListing("docs", [file(name, 1)]);
      assert.doesNotMatch(html, /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
      assert.equal(entryRows([file(name, 1)])[0]?.text, shown);
    });
  }
});

describe("links open the entry they name", () => {
  const BASE = "https://www.example.com/docs/";
  const links: Array<{ why: string; entry: ListingEntry; href: string }> = [
    { why: "# is not a fragment", entry: file("a#b.html"), href: "a%23b.html" },
    { why: "? is not a query", entry: file("a?b=c.html"), href: "a%3Fb%3Dc.html" },
    { why: "% is not an escape", entry: file("100%.html"), href: "100%25.html" },
    { why: "an escape-looking name is not decoded", entry: file("a%20b.html"), href: "a%2520b.html" },
    { why: "+ is not a space (S3 would read it as one)", entry: file("a+b.html"), href: "a%2Bb.html" },
    { why: "space", entry: file("read me.txt"), href: "read%20me.txt" },
    { why: "* ! ' ( ) are encoded too", entry: file("it's (1)*!.txt"), href: "it%27s%20%281%29%2A%21.txt" },
    {
      why: "a colon cannot make a scheme",
      entry: file("javascript:alert(1).html"),
      href: "javascript%3Aalert%281%29.html",
    },
    { why: "a backslash is not a slash", entry: file("a\\b.txt"), href: "a%5Cb.txt" },
    { why: "é (NFC) as UTF-8", entry: file("caf\u00e9.html"), href: "caf%C3%A9.html" },
    { why: "é (NFD) stays a different name", entry: file("cafe\u0301.html"), href: "cafe%CC%81.html" },
    { why: "日本 as UTF-8", entry: file("日本.txt"), href: "%E6%97%A5%E6%9C%AC.txt" },
    { why: "emoji (astral) as UTF-8", entry: file("😀.png"), href: "%F0%9F%98%80.png" },
    { why: "newline", entry: file("a\nb.txt"), href: "a%0Ab.txt" },
    { why: "unreserved characters are left as they are", entry: file("A-z_0.9~x.tar.gz"), href: "A-z_0.9~x.tar.gz" },
    { why: "a directory gets a trailing slash", entry: dir("my docs"), href: "my%20docs/" },
    { why: "a directory with # keeps its slash after the escape", entry: dir("c#"), href: "c%23/" },
  ];
  for (const { why, entry, href } of links) {
    test(why, () => {
      const [row] = entryRows([entry]);
      assert.equal(row?.href, href);
      const url = new URL(row.href, BASE);
      assert.equal(url.origin, "https://www.example.com");
      assert.equal(url.search, "");
      assert.equal(url.hash, "");
      assert.equal(decodeURIComponent(url.pathname), `/docs/${entry.name}${entry.kind === "dir" ? "/" : ""}`);
    });
  }

  test("directory names are shown with a trailing slash, files without", () => {
    assert.deepEqual(
      entryRows([dir("img"), file("a.txt")]).map((row) => row.text),
      ["img/", "a.txt"],
    );
  });
});

describe("parent directory link", () => {
  const rows: Array<{ dir: string; parent: boolean }> = [
    { dir: "", parent: false },
    { dir: "docs", parent: true },
    { dir: "docs/api/v1", parent: true },
  ];
  for (const row of rows) {
    test(row.parent ? `/${row.dir}/ links to ../ first` : "the root has no parent link", () => {
      const first = rowsOf(renderListing(row.dir, [file("a.txt", 1)]))[0];
      assert.equal(first?.href === "../", row.parent);
    });
  }

  test("the parent link resolves to the directory above", () => {
    assert.equal(new URL("../", "https://www.example.com/docs/api/").pathname, "/docs/");
    assert.equal(rowsOf(renderListing("docs/api", []))[0]?.href, "../");
  });
});

describe("order", () => {
  test("directories first, then files, each by name", () => {
    const entries = [file("b.txt"), dir("zeta"), file("a.txt"), dir("alpha"), file("Z.txt")];
    assert.deepEqual(
      entryRows(entries).map((row) => row.text),
      ["alpha/", "zeta/", "Z.txt", "a.txt", "b.txt"],
    );
  });

  const orders: Array<{ why: string; names: string[] }> = [
    { why: "upper case before lower case (code points, not locale)", names: ["B", "Z", "a", "b"] },
    { why: "digits compare one by one, not as numbers", names: ["a1", "a10", "a2"] },
    { why: "a prefix comes first", names: ["a", "a-b", "a.b", "ab"] },
    { why: "accented letters after ASCII", names: ["e", "z", "\u00e9"] },
    { why: "astral characters after U+FFxx (UTF-16 order would put 😀 first)", names: ["\uff21", "𝄞x", "😀"] },
  ];
  for (const { why, names } of orders) {
    test(why, () => {
      const shuffled = [...names].reverse().map((name) => file(name));
      assert.deepEqual(
        listingOrder(shuffled).map((entry) => entry.name),
        names,
      );
    });
  }

  test("agrees with the UTF-8 byte order of S3 listings and index sort keys", () => {
    const names = ["😀", "\uffff", "\ue000", "~", "a", "A", "\u00e9", "e\u0301", "日本", "\u0000", " ", "𝄞"];
    const byBytes = [...names].sort(compareUtf8);
    assert.deepEqual(
      listingOrder(names.map((name) => file(name))).map((entry) => entry.name),
      byBytes,
    );
  });

  test("dot files and dot directories are left out", () => {
    const entries = [file(".env"), file(".htpasswd"), dir(".git"), file("a.txt"), dir("public"), file("x.y")];
    assert.deepEqual(
      entryRows(entries).map((row) => row.text),
      ["public/", "a.txt", "x.y"],
    );
    assert.doesNotMatch(renderListing("docs", entries), /env|htpasswd|git/);
  });

  test("dot files are left out even when rows are rendered from unsorted pages", () => {
    assert.equal(renderListingRows([file(".htpasswd", 10), dir(".git")]), "");
  });

  test("listingOrder does not change its input", () => {
    const entries = [file("b"), file("a"), file(".x")];
    const copy = structuredClone(entries);
    listingOrder(entries);
    assert.deepEqual(entries, copy);
  });
});

describe("sizes and dates", () => {
  const sizes: Array<{ why: string; entry: ListingEntry; size: string; exact?: string }> = [
    { why: "an empty file", entry: file("a", 0), size: "0 B", exact: "0 bytes" },
    { why: "one byte", entry: file("a", 1), size: "1 B", exact: "1 byte" },
    { why: "just under 1 KiB", entry: file("a", 1023), size: "1023 B", exact: "1,023 bytes" },
    { why: "1 KiB", entry: file("a", 1024), size: "1.0 KiB", exact: "1,024 bytes" },
    { why: "1.5 KiB", entry: file("a", 1536), size: "1.5 KiB", exact: "1,536 bytes" },
    {
      why: "rounding to 1024.0 KiB moves up to MiB",
      entry: file("a", 1024 * 1024 - 1),
      size: "1.0 MiB",
      exact: "1,048,575 bytes",
    },
    {
      why: "hundreds of MiB",
      entry: file("a", 500 * 1024 * 1024 + 300 * 1024),
      size: "500.3 MiB",
      exact: "524,595,200 bytes",
    },
    { why: "GiB", entry: file("a", 5 * 1024 ** 3), size: "5.0 GiB", exact: "5,368,709,120 bytes" },
    { why: "TiB", entry: file("a", 2.5 * 1024 ** 4), size: "2.5 TiB", exact: "2,748,779,069,440 bytes" },
    { why: "a directory shows -", entry: dir("d"), size: "-" },
    { why: "a file of unknown size shows -", entry: file("a"), size: "-" },
    { why: "a nonsense size shows -", entry: file("a", -1), size: "-" },
  ];
  for (const { why, entry, size, exact } of sizes) {
    test(`size: ${why}`, () => {
      const [row] = entryRows([entry]);
      assert.equal(row?.size, size);
      assert.equal(row.exact, exact);
    });
  }

  const dates: Array<{ why: string; mtime: string | undefined; date: string }> = [
    { why: "the epoch", mtime: "0", date: "1970-01-01 00:00" },
    { why: "nanosecond mtimes, in UTC", mtime: "1700000000123456789", date: "2023-11-14 22:13" },
    {
      why: "seconds are cut, not rounded up to the next minute",
      mtime: "1700000039999999999",
      date: "2023-11-14 22:13",
    },
    { why: "a nanosecond before the epoch is in 1969", mtime: "-1", date: "1969-12-31 23:59" },
    { why: "far future", mtime: "253402300799000000000", date: "9999-12-31 23:59" },
    { why: "unknown", mtime: undefined, date: "-" },
    { why: "not an mtime", mtime: "yesterday", date: "-" },
  ];
  for (const { why, mtime, date } of dates) {
    test(`date: ${why}`, () => {
      assert.equal(entryRows([file("a", 1, mtime)])[0]?.date, date);
    });
  }

  test("a directory shows its date when known", () => {
    assert.equal(entryRows([dir("d", "0")])[0]?.date, "1970-01-01 00:00");
  });
});

describe("the page", () => {
  const entries = [file("b.txt", 10, "0"), dir("sub"), file("a.txt", 2048, "1700000000000000000"), file(".hidden")];

  test("is an HTML5 UTF-8 document with the generated marker in its head", () => {
    const html = renderListing("docs", entries);
    assert.ok(html.startsWith("<!DOCTYPE html>\n"));
    const head = html.slice(0, html.indexOf("</head>"));
    assert.ok(head.includes('<meta charset="utf-8">'));
    assert.ok(head.includes(GENERATED_MARKER));
    assert.ok(html.endsWith("</html>\n"));
  });

  test("the marker is an HTML comment, and the metadata is generated: true", () => {
    assert.match(GENERATED_MARKER, /^<!--[\s\S]*-->$/);
    assert.deepEqual({ ...GENERATED_METADATA }, { generated: "true" });
  });

  const titles: Array<{ dir: string; title?: string; shown: string }> = [
    { dir: "", shown: "Index of /" },
    { dir: "docs", shown: "Index of /docs/" },
    { dir: "docs/api v1", shown: "Index of /docs/api v1/" },
    { dir: "docs", title: "Downloads", shown: "Downloads" },
  ];
  for (const row of titles) {
    test(`title and heading: ${row.shown}`, () => {
      const html = renderListing(row.dir, [], row.title === undefined ? {} : { title: row.title });
      assert.ok(html.includes(`<title>${row.shown}</title>`));
      assert.ok(html.includes(`<h1>${row.shown}</h1>`));
    });
  }

  test("loads nothing and runs nothing: no scripts, no external resources, scripts forbidden by CSP", () => {
    const html = renderListing("docs", entries);
    assert.doesNotMatch(html, /<script|<link|<img|src=|url\(|@import|https?:/i);
    assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src 'none';[^"]*">/);
    assertOnlyOwnMarkup(html);
  });

  test("the same listing renders the same bytes", () => {
    assert.equal(renderListing("docs", entries), renderListing("docs", [...entries].reverse()));
  });

  test("the generation time appears only when given, in UTC", () => {
    assert.doesNotMatch(renderListing("docs", entries), /Generated/);
    const html = renderListing("docs", entries, { generatedAt: new Date("2024-02-29T23:59:59.999Z") });
    assert.match(html, /Generated 2024-02-29 23:59 UTC/);
  });

  test("streamed in pages, head + rows + foot is the same page as renderListing", () => {
    const many = Array.from({ length: 250 }, (_, i) =>
      i % 7 === 0 ? dir(`d${i}`) : file(`f${i}`, i * 1000, `${i}000000000000`),
    );
    const ordered = listingOrder(many);
    const options = { generatedAt: new Date(0) };
    let streamed = renderListingHead("docs/big", options);
    for (let i = 0; i < ordered.length; i += 100) streamed += renderListingRows(ordered.slice(i, i + 100));
    streamed += renderListingFoot();
    assert.equal(streamed, renderListing("docs/big", many, options));
    assert.equal(entryRows(many).length, 250);
  });

  test("an empty directory is still a complete page", () => {
    const html = renderListing("", []);
    assert.deepEqual(rowsOf(html), []);
    assert.equal(renderListingRows([]), "");
    assertOnlyOwnMarkup(html);
  });
});
