// The agent's configuration (agent/config.ts): defaults, field-by-field errors, CLI overrides.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { parseConfig, type AgentConfig } from "../../agent/config.ts";
import { ConfigError } from "../../core/errors.ts";

const SOURCE = "/etc/sitesync/prod.json";
const BASE = "/etc/sitesync";

const MINIMAL = {
  root: "/srv/ftp/site",
  siteBucket: "example-com-site",
  versionBucket: "example-com-versions",
  table: "sitesync-prod-index",
  queueUrl: "https://sqs.eu-west-1.amazonaws.com/123456789012/sitesync-prod-manifests",
  stateDir: "/var/lib/sitesync",
};

function parse(extra: Record<string, unknown> = {}, overrides = {}): AgentConfig {
  return parseConfig({ ...MINIMAL, ...extra }, SOURCE, BASE, overrides);
}

/** Asserts a ConfigError naming SOURCE and `field`, with an example when `example` is set. */
function rejects(raw: unknown, field: string, problem: RegExp, example = true): void {
  assert.throws(
    () => parseConfig(raw, SOURCE, BASE),
    (err: Error) => {
      assert.ok(err instanceof ConfigError, `expected ConfigError, got ${err.name}: ${err.message}`);
      assert.equal(err.source, SOURCE);
      assert.equal(err.field, field);
      assert.ok(err.message.startsWith(`${SOURCE}: "${field}" `), err.message);
      assert.match(err.message, problem);
      if (example) assert.match(err.message, /\(for example: .+\)$/, `no example in: ${err.message}`);
      return true;
    },
  );
}

describe("parseConfig: a minimal config gets the defaults", () => {
  test("every default", () => {
    assert.deepEqual(parse(), {
      root: "/srv/ftp/site",
      prefix: "",
      region: "us-east-1",
      retentionDays: 90,
      siteBucket: "example-com-site",
      versionBucket: "example-com-versions",
      table: "sitesync-prod-index",
      queueUrl: MINIMAL.queueUrl,
      stateDir: "/var/lib/sitesync",
      nameEncoding: "latin1",
      exclude: [],
      dotFiles: { publish: ["**/.well-known/**"] },
      errorPage: "404.html",
      directoryIndex: ["index.html", "index.htm"],
      delete: true,
      deleteGuard: { maxShare: 0.5, minFiles: 20, minDirectoryFiles: 100 },
      resendAfterMinutes: 60,
      lockWarnMinutes: 360,
      settleSeconds: 60,
      contentTypes: {},
      concurrency: { directories: 8, files: 32, uploads: 4 },
      pack: { maxBytes: 8 * 1024 * 1024, maxFiles: 1000, largeFileBytes: 4 * 1024 * 1024 },
    } satisfies AgentConfig);
  });

  test("a full config keeps every value", () => {
    const c = parse({
      prefix: "www",
      region: "eu-west-1",
      retentionDays: 30,
      nameEncoding: "windows-1252",
      exclude: ["**/*.tmp"],
      dotFiles: { publish: [".well-known/**", ".nojekyll"] },
      errorPage: "errors/missing.html",
      directoryIndex: ["default.htm"],
      delete: false,
      deleteGuard: { maxShare: 0.1, minFiles: 0 },
      settleSeconds: 0,
      contentTypes: { overrides: { map: "application/json" }, charset: null, fallback: "text/plain" },
      concurrency: { directories: 2, files: 4, uploads: 1 },
      pack: { maxBytes: 2048, maxFiles: 10, largeFileBytes: 1024 },
      endpoints: { s3: "http://127.0.0.1:4566", sqs: "http://127.0.0.1:4566", dynamodb: "http://127.0.0.1:4567" },
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
    });
    assert.equal(c.prefix, "www/");
    assert.equal(c.region, "eu-west-1");
    assert.equal(c.retentionDays, 30);
    assert.equal(c.nameEncoding, "windows-1252");
    assert.deepEqual(c.exclude, ["**/*.tmp"]);
    assert.deepEqual(c.dotFiles, { publish: [".well-known/**", ".nojekyll"] });
    assert.equal(c.errorPage, "errors/missing.html");
    assert.deepEqual(c.directoryIndex, ["default.htm"]);
    assert.equal(c.delete, false);
    assert.deepEqual(c.deleteGuard, { maxShare: 0.1, minFiles: 0, minDirectoryFiles: 100 });
    assert.equal(c.settleSeconds, 0, "0 turns the settle window off");
    assert.deepEqual(c.contentTypes, { overrides: { map: "application/json" }, charset: null, fallback: "text/plain" });
    assert.deepEqual(c.concurrency, { directories: 2, files: 4, uploads: 1 });
    assert.deepEqual(c.pack, { maxBytes: 2048, maxFiles: 10, largeFileBytes: 1024 });
    assert.deepEqual(c.endpoints, {
      s3: "http://127.0.0.1:4566",
      sqs: "http://127.0.0.1:4566",
      dynamodb: "http://127.0.0.1:4567",
    });
    assert.deepEqual(c.credentials, { accessKeyId: "local", secretAccessKey: "local" });
  });

  test("relative root and stateDir resolve against the config file's directory", () => {
    const c = parse({ root: "site", stateDir: "../state" });
    assert.equal(c.root, "/etc/sitesync/site");
    assert.equal(c.stateDir, "/etc/state");
  });

  for (const [raw, expected] of [
    ["/www/", "www/"],
    ["www", "www/"],
    ["/", ""],
    ["a//b//", "a//b/"],
  ] as const) {
    test(`prefix ${JSON.stringify(raw)} is normalised to ${JSON.stringify(expected)}`, () =>
      assert.equal(parse({ prefix: raw }).prefix, expected));
  }
});

describe("parseConfig: CLI overrides win", () => {
  test("prefix override replaces the file's prefix, normalised", () => {
    assert.equal(parse({ prefix: "www/" }, { prefix: "/staging" }).prefix, "staging/");
  });

  test("an empty prefix override publishes at the bucket root", () => {
    assert.equal(parse({ prefix: "www/" }, { prefix: "" }).prefix, "");
  });

  test("--no-delete beats delete: true", () => {
    assert.equal(parse({ delete: true }, { delete: false }).delete, false);
  });

  test("exclude globs from the CLI are appended to the file's", () => {
    assert.deepEqual(parse({ exclude: ["**/*.tmp"] }, { exclude: ["private/**", "*.bak"] }).exclude, [
      "**/*.tmp",
      "private/**",
      "*.bak",
    ]);
  });

  test("root override replaces the file's root, and makes it optional", () => {
    assert.equal(parse({}, { root: "/mnt/other" }).root, "/mnt/other");
    const { root: _root, ...noRoot } = MINIMAL;
    assert.equal(parseConfig(noRoot, SOURCE, BASE, { root: "/mnt/other" }).root, "/mnt/other");
  });

  test("an override is held to the file's rules", () => {
    assert.throws(() => parse({}, { prefix: "../other-site/" }), /"prefix" must be a path of at most 256 bytes/);
  });

  test("no overrides: the file's values stand", () => {
    const c = parse({ prefix: "www/", delete: false, exclude: ["a"] }, {});
    assert.deepEqual([c.prefix, c.delete, c.exclude], ["www/", false, ["a"]]);
  });
});

describe("parseConfig: each bad field is rejected naming the file, the field and an example", () => {
  const without = (field: keyof typeof MINIMAL) => {
    const copy: Record<string, unknown> = { ...MINIMAL };
    delete copy[field];
    return copy;
  };
  const rows: Array<{ why: string; raw: unknown; field: string; problem: RegExp; example?: boolean }> = [
    { why: "not an object", raw: ["root"], field: "(file)", problem: /must hold a JSON object/ },
    { why: "null", raw: null, field: "(file)", problem: /must hold a JSON object/ },
    { why: "root missing", raw: without("root"), field: "root", problem: /must be a non-empty string/ },
    { why: "root empty", raw: { ...MINIMAL, root: "" }, field: "root", problem: /non-empty string/ },
    { why: "siteBucket missing", raw: without("siteBucket"), field: "siteBucket", problem: /non-empty string/ },
    {
      why: "versionBucket missing",
      raw: without("versionBucket"),
      field: "versionBucket",
      problem: /non-empty string/,
    },
    { why: "table a number", raw: { ...MINIMAL, table: 5 }, field: "table", problem: /non-empty string/ },
    { why: "queueUrl missing", raw: without("queueUrl"), field: "queueUrl", problem: /non-empty string/ },
    {
      why: "queueUrl not a URL",
      raw: { ...MINIMAL, queueUrl: "sitesync-prod-manifests" },
      field: "queueUrl",
      problem: /must be a queue URL/,
    },
    { why: "stateDir missing", raw: without("stateDir"), field: "stateDir", problem: /non-empty string/ },
    { why: "region empty", raw: { ...MINIMAL, region: "" }, field: "region", problem: /non-empty string/ },
    {
      why: "region null, not read as absent",
      raw: { ...MINIMAL, region: null },
      field: "region",
      problem: /non-empty/,
    },
    { why: "retentionDays zero", raw: { ...MINIMAL, retentionDays: 0 }, field: "retentionDays", problem: /1 to 3650/ },
    { why: "retentionDays 7.5", raw: { ...MINIMAL, retentionDays: 7.5 }, field: "retentionDays", problem: /whole/ },
    { why: "prefix not a string", raw: { ...MINIMAL, prefix: ["www/"] }, field: "prefix", problem: /must be a string/ },
    {
      why: "nameEncoding unknown",
      raw: { ...MINIMAL, nameEncoding: "klingon" },
      field: "nameEncoding",
      problem: /"klingon" is not an encoding/,
    },
    {
      why: "exclude a string",
      raw: { ...MINIMAL, exclude: "**/*.tmp" },
      field: "exclude",
      problem: /array of glob strings/,
    },
    {
      why: "exclude holds an empty glob",
      raw: { ...MINIMAL, exclude: ["a", ""] },
      field: "exclude",
      problem: /array of glob strings/,
    },
    {
      why: "dotFiles misspelt",
      raw: { ...MINIMAL, dotFiles: "yes" },
      field: "dotFiles",
      problem: /must be "include", "exclude" or \{"publish": \[globs\]\}/,
    },
    {
      why: "dotFiles.publish a string",
      raw: { ...MINIMAL, dotFiles: { publish: ".well-known/**" } },
      field: "dotFiles.publish",
      problem: /array of globs/,
    },
    {
      why: "dotFiles with a misspelt setting",
      raw: { ...MINIMAL, dotFiles: { publsh: [] } },
      field: "dotFiles.publsh",
      problem: /not a known setting/,
    },
    {
      why: "errorPage an absolute path",
      raw: { ...MINIMAL, errorPage: "/404.html" },
      field: "errorPage",
      problem: /site-relative path of a file/,
    },
    {
      why: "directoryIndex a path",
      raw: { ...MINIMAL, directoryIndex: ["docs/index.html"] },
      field: "directoryIndex",
      problem: /list of file names/,
    },
    {
      why: "directoryIndex empty",
      raw: { ...MINIMAL, directoryIndex: [] },
      field: "directoryIndex",
      problem: /list of file names/,
    },
    { why: "delete a string", raw: { ...MINIMAL, delete: "false" }, field: "delete", problem: /must be true or false/ },
    {
      why: "deleteGuard.maxShare above 1",
      raw: { ...MINIMAL, deleteGuard: { maxShare: 1.5 } },
      field: "deleteGuard.maxShare",
      problem: /from 0 to 1/,
    },
    {
      why: "deleteGuard.minFiles negative",
      raw: { ...MINIMAL, deleteGuard: { minFiles: -1 } },
      field: "deleteGuard.minFiles",
      problem: /from 0 to/,
    },
    {
      why: "concurrency.files zero",
      raw: { ...MINIMAL, concurrency: { files: 0 } },
      field: "concurrency.files",
      problem: /from 1 to 1024/,
    },
    {
      why: "concurrency.uploads a string",
      raw: { ...MINIMAL, concurrency: { uploads: "4" } },
      field: "concurrency.uploads",
      problem: /from 1 to 64/,
    },
    {
      why: "concurrency.directories null",
      raw: { ...MINIMAL, concurrency: { directories: null } },
      field: "concurrency.directories",
      problem: /from 1 to 256/,
    },
    {
      why: "pack.maxBytes below 1 KiB",
      raw: { ...MINIMAL, pack: { maxBytes: 100 } },
      field: "pack.maxBytes",
      problem: /from 1024 to/,
    },
    {
      why: "pack.maxFiles zero",
      raw: { ...MINIMAL, pack: { maxFiles: 0 } },
      field: "pack.maxFiles",
      problem: /from 1 to 100000/,
    },
    {
      why: "pack.largeFileBytes above pack.maxBytes",
      raw: { ...MINIMAL, pack: { maxBytes: 2048, largeFileBytes: 4096 } },
      field: "pack.largeFileBytes",
      problem: /must not exceed pack.maxBytes/,
    },
    {
      why: "contentTypes not an object",
      raw: { ...MINIMAL, contentTypes: "utf-8" },
      field: "contentTypes",
      problem: /must be an object/,
    },
    {
      why: "contentTypes.overrides value not a MIME type",
      raw: { ...MINIMAL, contentTypes: { overrides: { map: "json" } } },
      field: "contentTypes.overrides",
      problem: /map extensions to MIME types/,
    },
    {
      why: "contentTypes.charset a number",
      raw: { ...MINIMAL, contentTypes: { charset: 8 } },
      field: "contentTypes.charset",
      problem: /string or null/,
    },
    {
      why: "contentTypes.fallback a number",
      raw: { ...MINIMAL, contentTypes: { fallback: 1 } },
      field: "contentTypes.fallback",
      problem: /MIME type/,
    },
    {
      why: "contentTypes with a misspelt setting",
      raw: { ...MINIMAL, contentTypes: { overide: { map: "application/json" } } },
      field: "contentTypes.overide",
      problem: /not a contentTypes setting/,
    },
    {
      why: "endpoints not an object",
      raw: { ...MINIMAL, endpoints: "http://localhost" },
      field: "endpoints",
      problem: /must be an object/,
    },
    {
      why: "endpoints a list",
      raw: { ...MINIMAL, endpoints: ["http://127.0.0.1:4566"] },
      field: "endpoints",
      problem: /must be an object/,
    },
    {
      why: "endpoints for a service the agent does not use",
      raw: { ...MINIMAL, endpoints: { lambda: "http://x" } },
      field: "endpoints.lambda",
      problem: /not a service the agent uses/,
    },
    {
      why: "endpoint not a URL",
      raw: { ...MINIMAL, endpoints: { s3: "localhost:4566" } },
      field: "endpoints.s3",
      problem: /must be a URL/,
    },
    {
      why: "credentials incomplete",
      raw: { ...MINIMAL, credentials: { accessKeyId: "local" } },
      field: "credentials",
      problem: /accessKeyId and secretAccessKey/,
    },
    {
      why: "credentials with a misspelt field",
      raw: { ...MINIMAL, credentials: { accessKeyId: "local", secretAccesKey: "local" } },
      field: "credentials",
      problem: /accessKeyId and secretAccessKey/,
    },
    {
      why: "settleSeconds negative",
      raw: { ...MINIMAL, settleSeconds: -1 },
      field: "settleSeconds",
      problem: /from 0 to 86400/,
    },
    {
      why: "settleSeconds not a whole number",
      raw: { ...MINIMAL, settleSeconds: "60" },
      field: "settleSeconds",
      problem: /whole number/,
    },
    {
      why: "an unknown top-level field (a typo)",
      raw: { ...MINIMAL, prefx: "www/" },
      field: "prefx",
      problem: /not a known setting/,
      example: false,
    },
    {
      why: "a misspelt required field: the misspelling, not the field it leaves missing",
      raw: { ...without("root"), rooot: "/srv/ftp/site" },
      field: "rooot",
      problem: /not a known setting/,
      example: false,
    },
  ];
  for (const row of rows) {
    test(row.why, () => rejects(row.raw, row.field, row.problem, row.example ?? true));
  }

  test("the message reads: file, field, problem, example", () => {
    assert.throws(() => parseConfig({ ...MINIMAL, dotFiles: "yes" }, SOURCE, BASE), {
      message:
        `${SOURCE}: "dotFiles" must be "include", "exclude" or {"publish": [globs]} ` +
        `(for example: {"publish": ["**/.well-known/**", ".nojekyll"]})`,
    });
  });

  test("an override does not hide a bad value elsewhere in the file", () => {
    assert.throws(() => parseConfig({ ...MINIMAL, delete: "no" }, SOURCE, BASE, { prefix: "x" }), ConfigError);
  });
});

describe("parseConfig: dotFiles as configurations before publish globs wrote it", () => {
  test('"include" publishes every dot name (.ht* files and .sitesync/ aside); "exclude" none', () => {
    assert.deepEqual(parse({ dotFiles: "include" }).dotFiles, { publish: ["**"] });
    assert.deepEqual(parse({ dotFiles: "exclude" }).dotFiles, { publish: [] });
  });
});

describe("parseConfig: known gaps", () => {
  test("nested numeric fields are named with their section", () => {
    rejects({ ...MINIMAL, concurrency: { files: 0 } }, "concurrency.files", /from 1 to 1024/);
  });

  test("a section of the wrong type is rejected", () => {
    rejects({ ...MINIMAL, deleteGuard: "x" }, "deleteGuard", /must be an object/);
  });

  test("an unknown field inside a section is rejected", () => {
    assert.throws(() => parse({ deleteGuard: { maxshare: 0.9 } }), ConfigError);
  });

  test("counts must be integers", () => {
    assert.throws(() => parse({ concurrency: { files: 2.5 } }), ConfigError);
  });
});
