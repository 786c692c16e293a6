// Seeded randomness and the prose the sample site is assembled from.
//
// The site is written by a fictional company, Brightwater Labs, that sells "Tidepool", a build cache and
// artifact server. Pages pick sentences from the pools below with a seeded generator, so the text reads
// like a real site without anyone writing 250 pages, and every run produces the same bytes.

export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [min, max], both inclusive. */
  int(min: number, max: number): number;
  pick<T>(items: readonly T[]): T;
  /** `count` distinct items in random order. */
  sample<T>(items: readonly T[], count: number): T[];
}

/** FNV-1a, to turn a name into a seed: each part of the site gets its own stream (see `randomFor`). */
function hashString(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text, "utf8")) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/**
 * A mulberry32 generator seeded from `name`. Seeding per page or per section (rather than sharing one
 * stream) means adding a page to one section does not reshuffle the text of every other page, which keeps
 * regeneration diffs small.
 */
export function randomFor(name: string): Random {
  let state = hashString(name);
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (min: number, max: number): number => min + Math.floor(next() * (max - min + 1));
  const pick = <T>(items: readonly T[]): T => {
    const item = items[int(0, items.length - 1)];
    if (item === undefined) throw new Error("pick from an empty list");
    return item;
  };
  const sample = <T>(items: readonly T[], count: number): T[] => {
    const pool = [...items];
    const out: T[] = [];
    while (out.length < count && pool.length > 0) out.push(...pool.splice(int(0, pool.length - 1), 1));
    return out;
  };
  return { next, int, pick, sample };
}

/** A paragraph of `min`..`max` distinct sentences from a pool. */
export function paragraph(random: Random, pool: readonly string[], min = 3, max = 5): string {
  return random.sample(pool, random.int(min, max)).join(" ");
}

export const PRODUCT_SENTENCES = [
  "Tidepool stores build outputs once and serves them to every developer and CI runner that asks for them.",
  "A warm cache turns a forty-minute clean build into a few minutes of downloads.",
  "Cache keys are content hashes, so a hit is always byte-for-byte the artifact your build would have produced.",
  "The server speaks the Bazel remote cache protocol, plain HTTP and the Gradle build cache API.",
  "Artifacts live on local disk, in any S3-compatible object store, or in Google Cloud Storage.",
  "Eviction is least-recently-used by default, with per-project quotas when teams share a server.",
  "Every upload is checksummed twice: once by the client and once when it lands in storage.",
  "Access tokens can be scoped to a single project and made read-only for untrusted CI jobs.",
  "The dashboard shows hit rates per project, so you can see which builds benefit and which do not.",
  "A single Tidepool node comfortably serves a few hundred developers on modest hardware.",
  "Replicas in each office keep downloads on the local network while sharing one source of truth.",
  "Prometheus metrics and structured logs make the server easy to run alongside the rest of your stack.",
  "Upgrades are rolling: the on-disk format is versioned and older clients keep working.",
  "The command-line client wraps any build tool, so even shell-script builds can be cached.",
  "Nothing leaves your network unless you choose the hosted edition.",
  "Configuration is one YAML file, and every setting can be overridden by an environment variable.",
] as const;

export const ENGINEERING_SENTENCES = [
  "We started by measuring where the time actually went, and the answer surprised us.",
  "The first prototype was a weekend project that grew a test suite before it grew features.",
  "Profiling showed that most of the latency came from small requests, not large ones.",
  "Batching metadata lookups cut the number of round trips by an order of magnitude.",
  "We kept the old code path behind a flag for two releases so that we could compare results in production.",
  "The fix itself was four lines; finding those four lines took most of a week.",
  "Benchmarks ran nightly on the same hardware, so regressions showed up as a jump in a chart.",
  "We were careful to make the change invisible to clients: no new flags, no new configuration.",
  "Content-addressed storage makes many problems easy and a few problems very hard.",
  "Garbage collection has to be safe even when a build is reading an entry we want to delete.",
  "Most of the work was in the tests, which now simulate slow disks and flaky networks.",
  "Our rule of thumb is that a cache should never make a build slower than no cache at all.",
  "Reading the protocol specification twice saved us from at least one subtle bug.",
  "Customers with very large monorepos were the first to notice, and the first to help us reproduce it.",
  "We now publish the raw benchmark numbers alongside every release.",
  "In hindsight the simplest design was also the fastest one.",
] as const;

export const COMPANY_SENTENCES = [
  "Brightwater Labs is a small, fully remote team with a home base in Zurich.",
  "We spent three days together by the lake, with more whiteboards than laptops.",
  "Thank you to everyone who stopped by our booth and told us about their builds.",
  "The slides and recordings are linked below for anyone who missed the talk.",
  "We are hiring engineers who enjoy making slow things fast.",
  "Our support inbox is answered by the same people who write the code.",
  "This month we welcomed two new colleagues to the team.",
  "Community contributions made up almost a third of the merged pull requests this quarter.",
  "We publish our roadmap openly and update it every quarter.",
  "Customer feedback drives most of what we build next.",
  "The office café has become the unofficial meeting room for design discussions.",
  "We closed the quarter with our highest ever customer satisfaction score.",
] as const;

export const DOCS_SENTENCES = [
  "This page assumes you have a running Tidepool server and the tidepool command on your path.",
  "All commands accept --help, which lists every option with its default value.",
  "Settings shown here can be placed in tidepool.yaml or passed as environment variables.",
  "Restart the server after changing storage settings; other settings are reloaded automatically.",
  "When in doubt, run tidepool doctor, which checks connectivity, permissions and configuration.",
  "Examples use the default port 7420; adjust them if your server listens elsewhere.",
  "Tokens shown in examples are placeholders and will not work against a real server.",
  "Administrators can change these limits per project in the dashboard.",
  "The same operations are available through the HTTP API described in the API reference.",
  "Log output goes to standard error in JSON, one event per line.",
] as const;

export interface TeamMember {
  slug: string;
  name: string;
  role: string;
  bio: string;
}

export const TEAM: readonly TeamMember[] = [
  {
    slug: "amara-okafor",
    name: "Amara Okafor",
    role: "Co-founder, CEO",
    bio: "Ran build infrastructure for a large game studio before starting Brightwater.",
  },
  {
    slug: "lukas-brunner",
    name: "Lukas Brunner",
    role: "Co-founder, CTO",
    bio: "Wrote the first version of Tidepool on a train between Zurich and Milan.",
  },
  {
    slug: "mei-lin-chen",
    name: "Mei-Lin Chen",
    role: "Staff Engineer",
    bio: "Owns the storage engine and has strong opinions about fsync.",
  },
  {
    slug: "diego-ramirez",
    name: "Diego Ramírez",
    role: "Engineer, Integrations",
    bio: "Maintains the CI integrations and answers most of the forum questions.",
  },
  {
    slug: "sofia-lindqvist",
    name: "Sofia Lindqvist",
    role: "Product Designer",
    bio: "Designed the dashboard and insists on readable error messages.",
  },
  {
    slug: "rahul-iyer",
    name: "Rahul Iyer",
    role: "Developer Advocate",
    bio: "Writes the guides, gives the talks and reads every piece of feedback.",
  },
  {
    slug: "hannah-weiss",
    name: "Hannah Weiss",
    role: "Customer Success",
    bio: "Helps teams roll out Tidepool, one build system at a time.",
  },
  {
    slug: "kenji-sato",
    name: "Kenji Sato",
    role: "Engineer, Platform",
    bio: "Keeps the hosted edition running and translates our docs into Japanese.",
  },
] as const;
