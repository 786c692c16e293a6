// The blog: three years of posts in blog/YYYY/MM/ folders (three levels deep), a yearly archive page per
// year, an RSS feed, and one post with a non-ASCII file name, blog/café-menü.html. The month folders
// have no index.html of their own, like most real blogs.
import { ARTICLE_TITLES, GUIDES, MONTHS, PRODUCTS, RELEASES_2024 } from "./catalog.ts";
import { RELEASE_NOTES_PATH, releaseAnchor } from "./docs.ts";
import { OFFSITE_PHOTO, galleryImages } from "./gallery.ts";
import { BASE_URL, SITE_NAME, encodePath, escapeHtml, type Href, type Site } from "./site.ts";
import {
  COMPANY_SENTENCES,
  ENGINEERING_SENTENCES,
  PRODUCT_SENTENCES,
  TEAM,
  paragraph,
  randomFor,
  type TeamMember,
} from "./text.ts";

export const CAFE_POST_PATH = "blog/café-menü.html";

export interface Post {
  path: string;
  title: string;
  year: number;
  month: number; // 1-12
  day: number;
  author: TeamMember;
  summary: string;
  kind: "roundup" | "article" | "office";
}

const YEARS = [2022, 2023, 2024];
/** The months the ten yearly articles appear in; the last is always the year in review. */
const ARTICLE_MONTHS = [1, 2, 3, 4, 5, 6, 7, 9, 10, 12];

function slugify(title: string): string {
  return title
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "");
}

function postPath(year: number, month: number, title: string): string {
  return `blog/${year}/${String(month).padStart(2, "0")}/${slugify(title)}.html`;
}

export function formatDate(post: Post): string {
  return `${post.day} ${MONTHS[post.month - 1]} ${post.year}`;
}

function isoDate(post: Post): string {
  return `${post.year}-${String(post.month).padStart(2, "0")}-${String(post.day).padStart(2, "0")}`;
}

/** Company news reads differently from engineering posts, so the two draw on different sentence pools. */
function isCompanyNews(post: Post): boolean {
  return (
    post.kind !== "article" ||
    /year in review|looking back|offsite|notes from|customers|generally available/i.test(post.title)
  );
}

/** All posts, newest first. The order decides the previous/next links and the feed. */
export function blogPosts(): Post[] {
  const posts: Post[] = [];
  for (const year of YEARS) {
    const random = randomFor(`blog/${year}`);
    MONTHS.forEach((name, index) => {
      const title = `Monthly round-up: ${name} ${year}`;
      posts.push({
        path: postPath(year, index + 1, title),
        title,
        year,
        month: index + 1,
        day: 28,
        author: random.pick(TEAM),
        summary: `What happened at ${SITE_NAME} in ${name} ${year}.`,
        kind: "roundup",
      });
    });
    (ARTICLE_TITLES[year] ?? []).forEach((title, index) => {
      const month = ARTICLE_MONTHS[index] ?? 12;
      posts.push({
        path: postPath(year, month, title),
        title,
        year,
        month,
        day: random.int(3, 25),
        author: random.pick(TEAM),
        summary: random.pick([...PRODUCT_SENTENCES, ...ENGINEERING_SENTENCES]),
        kind: "article",
      });
    });
  }
  const hannah = TEAM.find((member) => member.slug === "hannah-weiss") ?? TEAM[0];
  if (!hannah) throw new Error("the team is empty");
  posts.push({
    path: CAFE_POST_PATH,
    title: "The new café menu (Menü) at the Zurich office",
    year: 2024,
    month: 6,
    day: 12,
    author: hannah,
    summary: "Birchermüesli, Rösti and a proper café crème: the office café has a new menu.",
    kind: "office",
  });
  return posts.sort((a, b) => isoDate(b).localeCompare(isoDate(a)) || a.path.localeCompare(b.path));
}

function byline(post: Post, href: Href): string {
  return `<p class="author"><img src="${href(`images/team/${post.author.slug}.png`)}" alt="" width="40" height="40">
<span>By <a href="${href(`about/team/index.html#${post.author.slug}`)}">${escapeHtml(post.author.name)}</a>,
<time datetime="${isoDate(post)}">${formatDate(post)}</time></span></p>`;
}

function roundupBody(post: Post, posts: Post[], href: Href): string {
  const random = randomFor(post.path);
  const monthName = MONTHS[post.month - 1] ?? "";
  const articles = posts.filter((p) => p.kind === "article" && p.year === post.year && p.month === post.month);
  const releases = post.year === 2024 ? RELEASES_2024.filter((r) => r.month === monthName) : [];
  const guide = random.pick(GUIDES);
  const items = [
    ...releases.map(
      (r) =>
        `<li>We released <a href="${href(`${RELEASE_NOTES_PATH}#${releaseAnchor(r.version)}`)}">` +
        `Tidepool ${r.version}</a>.</li>`,
    ),
    ...articles.map((p) => `<li>On the blog: <a href="${href(p.path)}">${escapeHtml(p.title)}</a>.</li>`),
    `<li>From the docs: <a href="${href(`docs/guides/${guide.slug}.html`)}">${escapeHtml(guide.title)}</a>. ` +
      `${escapeHtml(guide.summary)}</li>`,
    `<li>${escapeHtml(random.pick(COMPANY_SENTENCES))}</li>`,
  ];
  return `<p>Here is what happened at ${SITE_NAME} in ${monthName} ${post.year}.</p>
<ul>
${items.map((item) => `  ${item}`).join("\n")}
</ul>
<p>${paragraph(random, COMPANY_SENTENCES, 2, 3)}</p>`;
}

function articleBody(post: Post, href: Href): string {
  const random = randomFor(post.path);
  const pool = isCompanyNews(post) ? COMPANY_SENTENCES : ENGINEERING_SENTENCES;
  const photos = galleryImages().filter((image) => image.path.endsWith(".jpg"));
  const photo = /offsite/i.test(post.title) ? photos.find((p) => p.path === OFFSITE_PHOTO) : random.pick(photos);
  const product = random.pick(PRODUCTS);
  const figure = photo
    ? `<figure><img src="${href(photo.path)}" alt="${escapeHtml(photo.caption)}" width="320" height="200">` +
      `<figcaption>${escapeHtml(photo.caption)}. ` +
      `More in the <a href="${href("gallery.html")}">gallery</a>.</figcaption></figure>`
    : "";
  const snippet = isCompanyNews(post)
    ? ""
    : `<pre><code>$ tidepool stats --project web --window 7d\n` +
      `hits      90,412\nmisses     7,730\nhit rate   92.1%</code></pre>\n`;
  return `<p>${paragraph(random, pool)}</p>
${figure}
<h2>What changed</h2>
<p>${paragraph(random, pool)}</p>
${snippet}<p>${paragraph(random, PRODUCT_SENTENCES, 2, 3)}</p>
<h2>What's next</h2>
<p>${paragraph(random, pool, 2, 3)} If you use \
<a href="${href(`products/${product.slug}.html`)}">${escapeHtml(product.name)}</a>,
we would love to hear from you: <a href="${href("contact.html")}">get in touch</a>.</p>`;
}

/** The office café post: the reason for its file name is the menu, so the content is mostly umlauts. */
function cafeBody(href: Href): string {
  const menu: [string, string, string][] = [
    ["Birchermüesli", "Oats, apple, hazelnuts and yoghurt, the Zurich classic.", "CHF 6.50"],
    ["Rösti mit Spiegelei", "Crisp potato rösti with a fried egg.", "CHF 14.00"],
    ["Zürcher Geschnetzeltes", "On Thursdays only, with rösti.", "CHF 21.50"],
    ["Crème brûlée", "Made in-house every morning.", "CHF 7.00"],
    ["Café crème", "The long Swiss coffee, not the French one.", "CHF 4.20"],
    ["Matcha latte (抹茶ラテ)", "Kenji's request, now permanent.", "CHF 5.50"],
  ];
  return `<p>Good news for everyone who works from the Zurich office: the café has a new <em>Menü</em>,
and for the first time it includes something for the early risers.</p>
<div class="menu-card">
<h2>Menü</h2>
<dl>
${menu
  .map(
    ([dish, text, price]) =>
      `  <dt>${escapeHtml(dish)} <span class="meta">${price}</span></dt>\n  <dd>${escapeHtml(text)}</dd>`,
  )
  .join("\n")}
</dl>
</div>
<p>Visiting? The café is on the ground floor; see <a href="${href("contact.html")}">how to find us</a>.</p>`;
}

function postNav(older: Post | undefined, newer: Post | undefined, href: Href): string {
  const link = (post: Post | undefined, label: string): string =>
    post ? `<a href="${href(post.path)}">${label}: ${escapeHtml(post.title)}</a>` : "<span></span>";
  return `<nav class="post-nav">${link(older, "Older")}${link(newer, "Newer")}</nav>`;
}

function addPost(site: Site, post: Post, index: number, posts: Post[]): void {
  const crumbs: [string, string][] = [["Blog", "blog/index.html"]];
  if (post.kind !== "office") crumbs.push([String(post.year), `blog/${post.year}/index.html`]);
  site.page(post.path, (href) => {
    const body =
      post.kind === "roundup"
        ? roundupBody(post, posts, href)
        : post.kind === "office"
          ? cafeBody(href)
          : articleBody(post, href);
    return {
      title: post.title,
      description: post.summary,
      section: "blog",
      styles: ["css/blog.css"],
      crumbs,
      body: `<article class="post">
<header>
<h1>${escapeHtml(post.title)}</h1>
${byline(post, href)}
</header>
${body}
</article>
${postNav(posts[index + 1], posts[index - 1], href)}`,
    };
  });
}

function postList(posts: Post[], href: Href): string {
  return `<ul class="post-list">
${posts
  .map(
    (p) =>
      `  <li><time datetime="${isoDate(p)}">${formatDate(p)}</time> ` +
      `<a href="${href(p.path)}">${escapeHtml(p.title)}</a></li>`,
  )
  .join("\n")}
</ul>`;
}

function addArchives(site: Site, posts: Post[]): void {
  site.page("blog/index.html", (href) => ({
    title: "Blog",
    description: `News, engineering notes and monthly round-ups from ${SITE_NAME}.`,
    section: "blog",
    styles: ["css/blog.css"],
    body: `<h1>Blog</h1>
<p>News, engineering notes and monthly round-ups. Subscribe with the \
<a href="${href("blog/feed.xml")}">RSS feed</a>.</p>
${YEARS.slice()
  .reverse()
  .map(
    (year) =>
      `<h2><a href="${href(`blog/${year}/index.html`)}">${year}</a></h2>\n${postList(
        posts.filter((p) => p.year === year),
        href,
      )}`,
  )
  .join("\n")}`,
  }));

  for (const year of YEARS) {
    site.page(`blog/${year}/index.html`, (href) => ({
      title: `Blog archive ${year}`,
      description: `Everything we published in ${year}.`,
      section: "blog",
      styles: ["css/blog.css"],
      crumbs: [["Blog", "blog/index.html"]],
      body: `<h1>${year}</h1>\n${postList(
        posts.filter((p) => p.year === year),
        href,
      )}`,
    }));
  }
}

/** RSS 2.0 with the twenty newest posts. Dates come from the posts, never from the clock. */
function feed(posts: Post[]): string {
  const rfc822 = (post: Post): string => new Date(Date.UTC(post.year, post.month - 1, post.day, 9)).toUTCString();
  const items = posts.slice(0, 20).map((post) => {
    const url = BASE_URL + encodePath(post.path);
    return `    <item>
      <title>${escapeHtml(post.title)}</title>
      <link>${url}</link>
      <guid>${url}</guid>
      <pubDate>${rfc822(post)}</pubDate>
      <description>${escapeHtml(post.summary)}</description>
    </item>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0">
  <channel>
    <title>${SITE_NAME} blog</title>
    <link>${BASE_URL}blog/index.html</link>
    <description>News and engineering notes from ${SITE_NAME}.</description>
    <language>en</language>
${items.join("\n")}
  </channel>
</rss>
`;
}

export function addBlog(site: Site): void {
  const posts = blogPosts();
  posts.forEach((post, index) => {
    addPost(site, post, index, posts);
  });
  addArchives(site, posts);
  site.add("blog/feed.xml", feed(posts));
}
