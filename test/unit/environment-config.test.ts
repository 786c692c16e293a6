// Deployment environments are validated; a bad value names the file, the field and a right example.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { ConfigError } from "../../core/errors.ts";
import { loadEnvironment, parseEnvironment } from "../../lib/environment-config.ts";

const good = () => structuredClone({ ...loadEnvironment("prod") }) as Record<string, unknown> & { name?: string };

function rejects(change: (e: Record<string, any>) => void, field: RegExp): void {
  const raw = good();
  delete raw.name;
  change(raw);
  assert.throws(
    () => parseEnvironment("prod", raw, "environments.json"),
    (err: unknown) =>
      err instanceof ConfigError && field.test(err.message) && /^environments\.json: /.test(err.message),
  );
}

describe("environment configuration", () => {
  test("the shipped environments are valid", () => {
    for (const name of ["local", "dev", "prod"]) assert.equal(loadEnvironment(name).name, name);
  });
  test("an unknown environment names the known ones", () => {
    assert.throws(() => loadEnvironment("staging"), /does not exist; known: local, dev, prod/);
  });
  const rows: Array<[string, (e: Record<string, any>) => void, RegExp]> = [
    ["account must be 12 digits", (e) => (e.account = "1234"), /environments\.prod\.account" must be a 12-digit/],
    ["region must look like a region", (e) => (e.region = "europe"), /region" must be an AWS region/],
    ["stage is dev or prod", (e) => (e.stage = "qa"), /stage" must be "dev" or "prod"/],
    ["retention is whole days", (e) => (e.retentionDays = 0.5), /retentionDays" must be a whole number/],
    ["unknown settings are refused", (e) => (e.retention = 3), /retention" is not a known setting/],
    [
      "certificates come from us-east-1",
      (e) => (e.distribution.certificateArn = "arn:aws:acm:eu-west-1:222222222222:certificate/x"),
      /certificateArn" must be an ACM certificate ARN in us-east-1/,
    ],
    [
      "an imported distribution needs its id",
      (e) => (e.distribution = { kind: "imported", domainName: "d1.cloudfront.net" }),
      /distributionId" must be a CloudFront distribution id/,
    ],
    [
      "batch size is at most 10",
      (e) => (e.apply.batchSize = 11),
      /apply\.batchSize" must be a whole number from 1 to 10/,
    ],
    [
      "maximum concurrency is at least 2",
      (e) => (e.apply.maxConcurrency = 1),
      /apply\.maxConcurrency" must be a whole number from 2/,
    ],
    ["agent kind is ec2-role or user", (e) => (e.agent = { kind: "lambda" }), /agent\.kind" must be "ec2-role"/],
    ["rewrite rules are validated", (e) => (e.publishRules = { rewrites: [{ from: "a/", to: ["a/b/"] }] }), /overlaps/],
    [
      "a distribution is new, imported or none",
      (e) => (e.distribution = { kind: "cdn" }),
      /distribution\.kind" must be "new", "imported" or "none" \(for example: \{"kind": "new"\}\)/,
    ],
    [
      "host names need a certificate",
      (e) => (e.distribution = { kind: "new", domainNames: ["www.example.com"] }),
      /distribution\.certificateArn" must be given with domainNames: an ACM certificate ARN in us-east-1/,
    ],
    [
      "a certificate needs host names",
      (e) => delete e.distribution.domainNames,
      /distribution\.domainNames" must be given with certificateArn/,
    ],
    [
      "each host name is checked",
      (e) => (e.distribution.domainNames = ["www.example.com", "localhost"]),
      /distribution\.domainNames\[1\]" must be a host name \(for example: "www\.example\.com"\)/,
    ],
    ["price class is one of three", (e) => (e.distribution.priceClass = "cheap"), /priceClass" must be PriceClass_100/],
    [
      "a misspelt apply setting is refused, not left to its default",
      (e) => (e.apply.maxConcurency = 3),
      /apply\.maxConcurency" is not a known setting; apply takes .*maxConcurrency/,
    ],
    [
      "post-sync settings are whole numbers",
      (e) => (e.postSync = { awaitMinutes: "30" }),
      /postSync\.awaitMinutes" must be a whole number from 1 to 1440 \(for example: 30\)/,
    ],
    [
      "the agent is required",
      (e) => delete e.agent,
      /agent" must be an object \(for example: \{"kind": "ec2-role"\}\)/,
    ],
    [
      "the agent's settings are known",
      (e) => (e.agent.role = "x"),
      /agent\.role" is not a known setting; agent takes kind/,
    ],
    [
      "alarm e-mail is an address",
      (e) => (e.alarmEmail = "ops"),
      /alarmEmail" must be an e-mail address \(for example/,
    ],
  ];
  for (const [why, change, field] of rows) test(why, () => rejects(change, field));
  test("several wrong fields are reported together, the first as the error's field", () => {
    const raw = { ...good(), account: "1", region: "x", retention: 3 };
    delete raw.name;
    assert.throws(
      () => parseEnvironment("prod", raw, "environments.json"),
      (err: unknown) =>
        err instanceof ConfigError &&
        err.field === "environments.prod.account" &&
        /"environments\.prod\.region" must be an AWS region/.test(err.message) &&
        /"environments\.prod\.retention" is not a known setting/.test(err.message),
    );
  });
  test("settings left out take their defaults", () => {
    const minimal = {
      account: "123456789012",
      region: "eu-west-1",
      stage: "dev",
      distribution: { kind: "new" },
      retentionDays: 7,
      agent: { kind: "user" },
    };
    assert.deepEqual(parseEnvironment("dev", minimal, "environments.json"), {
      name: "dev",
      ...minimal,
      distribution: { kind: "new", priceClass: "PriceClass_100" },
      publishRules: { rewrites: [], cacheControl: [] },
      apply: {
        maxReceiveCount: 5,
        batchSize: 10,
        maxBatchingWindowSeconds: 1,
        maxConcurrency: 10,
        timeoutSeconds: 120,
        memoryMb: 1024,
      },
      postSync: { awaitMinutes: 30, collapseAbove: 10, maxPaths: 100 },
      agent: { kind: "user", noRunAlarmMinutes: 120 },
    });
  });
});
