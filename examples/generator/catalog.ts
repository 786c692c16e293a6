// The structured content of the sample site: products, docs guides, API endpoints, releases and blog
// titles. Pages are generated from these lists, so adding an entry here adds a page (and its links).

export interface Product {
  slug: string;
  name: string;
  kind: "edition" | "integration";
  colour: string;
  summary: string;
}

const EDITIONS: Product[] = [
  {
    slug: "community",
    name: "Tidepool Community",
    kind: "edition",
    colour: "#2d6a4f",
    summary: "The free, open-source server for individuals and small teams.",
  },
  {
    slug: "team",
    name: "Tidepool Team",
    kind: "edition",
    colour: "#1f7a9e",
    summary: "Replicas, quotas and single sign-on for growing engineering teams.",
  },
  {
    slug: "enterprise",
    name: "Tidepool Enterprise",
    kind: "edition",
    colour: "#0b3d5c",
    summary: "Audit logs, air-gapped installs and a support SLA for large organisations.",
  },
  {
    slug: "cloud",
    name: "Tidepool Cloud",
    kind: "edition",
    colour: "#5a189a",
    summary: "The hosted edition: we run the servers, you keep the fast builds.",
  },
];

/** Integrations: [slug, display name, what it does]. */
const INTEGRATIONS: [string, string, string][] = [
  ["cmake", "CMake", "Cache object files and link outputs of CMake builds through a compiler launcher."],
  ["bazel", "Bazel", "Use Tidepool as a Bazel remote cache with a two-line .bazelrc change."],
  ["gradle", "Gradle", "Plug into the Gradle build cache for Java, Kotlin and Android projects."],
  ["maven", "Maven", "Reuse compiled modules across Maven builds with the Tidepool extension."],
  ["msbuild", "MSBuild", "Cache C++ and C# outputs of Visual Studio solutions."],
  ["xcode", "Xcode", "Share derived data between developers working on Apple platforms."],
  ["github-actions", "GitHub Actions", "Warm your CI cache with a single workflow step."],
  ["gitlab-ci", "GitLab CI", "A CI template that authenticates runners with short-lived tokens."],
  ["jenkins", "Jenkins", "A Jenkins plugin that reports cache hit rates next to every build."],
  ["buildkite", "Buildkite", "A Buildkite plugin for agents in any cloud or on premises."],
  ["circleci", "CircleCI", "An orb that restores and saves build outputs through Tidepool."],
  ["azure-pipelines", "Azure Pipelines", "A pipeline task for Azure DevOps projects."],
  ["docker", "Docker", "Official container images for the server and the command-line client."],
  ["kubernetes", "Kubernetes Operator", "Run and scale Tidepool clusters declaratively."],
  ["terraform", "Terraform Provider", "Manage projects, tokens and quotas as code."],
  ["prometheus", "Prometheus Exporter", "Export hit rates, latency and storage metrics."],
  ["grafana", "Grafana Dashboards", "Ready-made dashboards for cache health and usage."],
  ["slack", "Slack Notifier", "Post quota warnings and weekly cache reports to a channel."],
  ["vscode", "VS Code Extension", "See whether your last build hit the cache without leaving the editor."],
  ["jetbrains", "JetBrains Plugin", "Cache status and build insights for IntelliJ IDEA and CLion."],
];

const INTEGRATION_COLOURS = ["#1f7a9e", "#b23a48", "#2d6a4f", "#b08400", "#5a189a", "#0b3d5c", "#d9606a"];

export const PRODUCTS: Product[] = [
  ...EDITIONS,
  ...INTEGRATIONS.map(
    ([slug, name, summary], i): Product => ({
      slug,
      name,
      kind: "integration",
      colour: INTEGRATION_COLOURS[i % INTEGRATION_COLOURS.length] ?? "#1f7a9e",
      summary,
    }),
  ),
];

export interface Guide {
  slug: string;
  title: string;
  summary: string;
  example: string;
}

export const GUIDES: Guide[] = [
  {
    slug: "remote-caching",
    title: "Remote caching",
    summary: "Share build outputs between developers and CI.",
    example: "tidepool wrap -- make -j8",
  },
  {
    slug: "cache-eviction",
    title: "Cache eviction",
    summary: "Control how and when old entries are removed.",
    example: "eviction:\n  policy: lru\n  max_size: 500GiB\n  min_age: 24h",
  },
  {
    slug: "tls",
    title: "Securing the server with TLS",
    summary: "Serve the cache over HTTPS with your own certificates.",
    example: "tls:\n  cert_file: /etc/tidepool/cert.pem\n  key_file: /etc/tidepool/key.pem",
  },
  {
    slug: "single-sign-on",
    title: "Single sign-on",
    summary: "Let people log in to the dashboard with your identity provider.",
    example: "auth:\n  oidc:\n    issuer: https://login.example.com\n    client_id: tidepool",
  },
  {
    slug: "backups",
    title: "Backups and restore",
    summary: "Back up metadata and artifacts, and restore them safely.",
    example: "tidepool admin backup --to /backups/tidepool-$(date +%F)",
  },
  {
    slug: "monitoring",
    title: "Monitoring",
    summary: "Metrics, health checks and the alerts worth setting up.",
    example: "curl -s http://localhost:7420/metrics | grep tidepool_cache_hits",
  },
  {
    slug: "scaling-out",
    title: "Scaling out with replicas",
    summary: "Add replicas close to your developers and CI runners.",
    example: "replication:\n  primary: https://cache.example.com\n  role: replica",
  },
  {
    slug: "migrating-from-v2",
    title: "Migrating from Tidepool 2.x",
    summary: "Upgrade a 2.x server to 3.x without losing cached data.",
    example: "tidepool admin migrate --from-version 2 --dry-run",
  },
  {
    slug: "ci-integration",
    title: "CI integration",
    summary: "Give CI jobs fast, safe access to the cache.",
    example: "tidepool token create --project web --read-only --ttl 1h",
  },
  {
    slug: "troubleshooting",
    title: "Troubleshooting",
    summary: "Diagnose low hit rates, slow downloads and permission errors.",
    example: "tidepool doctor --verbose",
  },
  {
    slug: "storage-backends",
    title: "Storage backends",
    summary: "Store artifacts on disk, in S3-compatible storage or in GCS.",
    example: "storage:\n  backend: s3\n  bucket: build-cache\n  region: eu-central-1",
  },
  {
    slug: "access-tokens",
    title: "Access tokens",
    summary: "Create, scope, rotate and revoke API tokens.",
    example: "tidepool token list --project web",
  },
  {
    slug: "air-gapped",
    title: "Air-gapped installations",
    summary: "Install and update Tidepool without internet access.",
    example: "tidepool admin bundle --output tidepool-offline.tar",
  },
];

export interface Endpoint {
  slug: string;
  method: "GET" | "POST" | "PATCH" | "DELETE";
  path: string;
  title: string;
  summary: string;
  params: [string, string, string][];
  response: unknown;
}

const PROJECT = { id: "prj_7Hq2", name: "web", quota_bytes: 536870912000, created: "2024-03-02T09:15:00Z" };
const ARTIFACT = { digest: "sha256:9f2c4e1b", size: 48213, project: "web", last_access: "2024-11-18T16:40:12Z" };
const TOKEN = { id: "tok_41Zs", project: "web", scopes: ["cache:read"], expires: "2024-12-31T00:00:00Z" };

export const ENDPOINTS: Endpoint[] = [
  {
    slug: "list-projects",
    method: "GET",
    path: "/v1/projects",
    title: "List projects",
    summary: "Returns the projects visible to the token, newest first.",
    params: [
      ["limit", "integer", "Page size, 1-100 (default 20)."],
      ["cursor", "string", "Cursor from the previous page."],
    ],
    response: { projects: [PROJECT], next_cursor: null },
  },
  {
    slug: "create-project",
    method: "POST",
    path: "/v1/projects",
    title: "Create a project",
    summary: "Creates a project with an optional storage quota.",
    params: [
      ["name", "string", "Unique project name."],
      ["quota_bytes", "integer", "Storage quota; omit for unlimited."],
    ],
    response: PROJECT,
  },
  {
    slug: "get-project",
    method: "GET",
    path: "/v1/projects/{id}",
    title: "Get a project",
    summary: "Returns one project and its current usage.",
    params: [["id", "string", "Project id."]],
    response: { ...PROJECT, used_bytes: 213909504000 },
  },
  {
    slug: "update-project",
    method: "PATCH",
    path: "/v1/projects/{id}",
    title: "Update a project",
    summary: "Renames a project or changes its quota.",
    params: [
      ["id", "string", "Project id."],
      ["name", "string", "New name."],
      ["quota_bytes", "integer", "New quota."],
    ],
    response: PROJECT,
  },
  {
    slug: "delete-project",
    method: "DELETE",
    path: "/v1/projects/{id}",
    title: "Delete a project",
    summary: "Deletes a project and schedules its artifacts for removal.",
    params: [["id", "string", "Project id."]],
    response: { deleted: true },
  },
  {
    slug: "list-artifacts",
    method: "GET",
    path: "/v1/projects/{id}/artifacts",
    title: "List artifacts",
    summary: "Lists artifacts in a project, most recently used first.",
    params: [
      ["id", "string", "Project id."],
      ["limit", "integer", "Page size, 1-1000."],
    ],
    response: { artifacts: [ARTIFACT], next_cursor: "c_2" },
  },
  {
    slug: "upload-artifact",
    method: "POST",
    path: "/v1/projects/{id}/artifacts",
    title: "Upload an artifact",
    summary: "Stores an artifact; the body is the raw bytes, the digest is verified on arrival.",
    params: [
      ["id", "string", "Project id."],
      ["Digest", "header", "sha256 of the body."],
    ],
    response: ARTIFACT,
  },
  {
    slug: "download-artifact",
    method: "GET",
    path: "/v1/projects/{id}/artifacts/{digest}",
    title: "Download an artifact",
    summary: "Streams an artifact's bytes; supports Range requests.",
    params: [
      ["id", "string", "Project id."],
      ["digest", "string", "Artifact digest."],
    ],
    response: "(binary body)",
  },
  {
    slug: "delete-artifact",
    method: "DELETE",
    path: "/v1/projects/{id}/artifacts/{digest}",
    title: "Delete an artifact",
    summary: "Removes one artifact immediately.",
    params: [
      ["id", "string", "Project id."],
      ["digest", "string", "Artifact digest."],
    ],
    response: { deleted: true },
  },
  {
    slug: "list-cache-entries",
    method: "GET",
    path: "/v1/projects/{id}/cache",
    title: "List cache entries",
    summary: "Lists action-cache entries that point at artifacts.",
    params: [
      ["id", "string", "Project id."],
      ["prefix", "string", "Only keys starting with this prefix."],
    ],
    response: { entries: [{ key: "ac/3b1f", artifact: ARTIFACT.digest }] },
  },
  {
    slug: "purge-cache",
    method: "POST",
    path: "/v1/projects/{id}/cache/purge",
    title: "Purge the cache",
    summary: "Removes all cache entries of a project; artifacts are collected later.",
    params: [["id", "string", "Project id."]],
    response: { purged_entries: 18211 },
  },
  {
    slug: "get-cache-stats",
    method: "GET",
    path: "/v1/projects/{id}/cache/stats",
    title: "Get cache statistics",
    summary: "Hit rate, traffic and size over a time window.",
    params: [
      ["id", "string", "Project id."],
      ["window", "string", "1h, 24h or 7d (default 24h)."],
    ],
    response: { hits: 90412, misses: 7730, hit_rate: 0.921, bytes_served: 1288490188800 },
  },
  {
    slug: "list-tokens",
    method: "GET",
    path: "/v1/tokens",
    title: "List tokens",
    summary: "Lists API tokens; secrets are never returned.",
    params: [["project", "string", "Only tokens of this project."]],
    response: { tokens: [TOKEN] },
  },
  {
    slug: "create-token",
    method: "POST",
    path: "/v1/tokens",
    title: "Create a token",
    summary: "Creates a token; the secret appears in this response only.",
    params: [
      ["project", "string", "Project to scope to."],
      ["scopes", "string[]", "For example cache:read."],
      ["ttl", "string", "Lifetime, for example 1h."],
    ],
    response: { ...TOKEN, secret: "tp_example_not_a_real_secret" },
  },
  {
    slug: "revoke-token",
    method: "DELETE",
    path: "/v1/tokens/{id}",
    title: "Revoke a token",
    summary: "Revokes a token immediately on every replica.",
    params: [["id", "string", "Token id."]],
    response: { revoked: true },
  },
  {
    slug: "list-users",
    method: "GET",
    path: "/v1/users",
    title: "List users",
    summary: "Lists dashboard users and their roles.",
    params: [["role", "string", "admin, member or viewer."]],
    response: { users: [{ id: "usr_12", email: "ada@example.com", role: "admin" }] },
  },
  {
    slug: "invite-user",
    method: "POST",
    path: "/v1/users/invitations",
    title: "Invite a user",
    summary: "Sends an invitation email.",
    params: [
      ["email", "string", "Address to invite."],
      ["role", "string", "Role after accepting."],
    ],
    response: { invitation: "inv_88", expires: "2024-12-01T00:00:00Z" },
  },
  {
    slug: "get-audit-log",
    method: "GET",
    path: "/v1/audit-log",
    title: "Get the audit log",
    summary: "Administrative events, newest first (Enterprise).",
    params: [["since", "string", "RFC 3339 timestamp."]],
    response: { events: [{ at: "2024-11-18T10:02:00Z", actor: "usr_12", action: "token.create" }] },
  },
  {
    slug: "health",
    method: "GET",
    path: "/v1/health",
    title: "Health check",
    summary: "Liveness and readiness for load balancers; needs no token.",
    params: [],
    response: { status: "ok", storage: "ok", replication_lag_seconds: 0 },
  },
  {
    slug: "server-info",
    method: "GET",
    path: "/v1/info",
    title: "Server information",
    summary: "Version, edition and enabled features.",
    params: [],
    response: { version: "3.6.0", edition: "team", features: ["replication", "quotas", "sso"] },
  },
];

export interface Release {
  version: string;
  month: string;
  added: string[];
  fixed: string[];
}

export const RELEASES_2024: Release[] = [
  {
    version: "3.0.0",
    month: "January",
    added: [
      "New storage engine with 40% smaller metadata.",
      "Dashboard rewritten from scratch.",
      "HTTP API v1 declared stable.",
    ],
    fixed: ["Uploads over 4 GiB no longer fail on 32-bit clients."],
  },
  {
    version: "3.1.0",
    month: "March",
    added: ["Per-project quotas.", "Gradle build cache protocol."],
    fixed: ["Eviction could stall when the disk was almost full."],
  },
  {
    version: "3.2.0",
    month: "April",
    added: ["Replicas can be added without a restart of the primary."],
    fixed: ["Token expiry was shown in UTC without saying so."],
  },
  {
    version: "3.2.1",
    month: "May",
    added: [],
    fixed: [
      "Rare crash when a client disconnected during a Range request.",
      "Metrics endpoint now escapes project names.",
    ],
  },
  {
    version: "3.3.0",
    month: "June",
    added: ["Single sign-on with OpenID Connect.", "Read-only tokens for CI."],
    fixed: ["Slow project listing with more than 10,000 projects."],
  },
  {
    version: "3.4.0",
    month: "August",
    added: ["Google Cloud Storage backend.", "tidepool doctor checks clock skew."],
    fixed: ["Backups skipped empty projects."],
  },
  {
    version: "3.5.0",
    month: "October",
    added: ["Audit log API.", "Air-gapped installation bundles."],
    fixed: ["Dashboard charts mislabelled daylight-saving transitions."],
  },
  { version: "3.5.1", month: "November", added: [], fixed: ["Replica catch-up could re-download existing artifacts."] },
  {
    version: "3.6.0",
    month: "December",
    added: ["p99 latency halved for small artifacts.", "Terraform provider 1.0."],
    fixed: ["Invitation emails used the wrong sender address."],
  },
];

/** Ten articles a year; each year also gets twelve monthly round-ups (see blog.ts). */
export const ARTICLE_TITLES: Record<number, string[]> = {
  2022: [
    "Introducing Tidepool 2.0",
    "How content-addressed caching works",
    "Five ways to get a better cache hit rate",
    "Tidepool now speaks the Gradle build cache protocol",
    "What we learned from our first hundred customers",
    "Caching C++ builds: a practical guide",
    "Running Tidepool on Kubernetes",
    "Why we chose YAML (and when you should not)",
    "A faster garbage collector for the artifact store",
    "Our year in review: 2022",
  ],
  2023: [
    "Tidepool 2.5: per-project quotas",
    "Measuring build performance without fooling yourself",
    "Notes from BuildConf 2023",
    "Replicas: a cache in every office",
    "Securing your cache with scoped tokens",
    "How we test against flaky networks",
    "Migrating a monorepo to remote caching in one week",
    "The hidden cost of non-hermetic builds",
    "Introducing the Tidepool VS Code extension",
    "Our year in review: 2023",
  ],
  2024: [
    "Tidepool 3.0 is here",
    "Designing the new dashboard",
    "S3 storage backends, two years on",
    "Build caches and supply-chain security",
    "Team offsite 2024: three days by the lake",
    "Cutting p99 latency in half",
    "Tidepool Cloud is generally available",
    "A deep dive into cache eviction",
    "Bazel and Tidepool: a migration story",
    "Looking back on 2024",
  ],
};

export const MONTHS = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
] as const;
