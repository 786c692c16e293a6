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
  ];
  for (const [why, change, field] of rows) test(why, () => rejects(change, field));
});
