// cdk-nag's AwsSolutions pack runs on every synthesis and fails it on any unacknowledged finding.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { RemovalPolicy, Validations } from "aws-cdk-lib";
import * as s3 from "aws-cdk-lib/aws-s3";
import { buildApp } from "../../lib/app.ts";
import { DEFAULT_ENVIRONMENTS_FILE } from "../../lib/environment-config.ts";
import { environment } from "./support.ts";

const names = Object.keys(
  (JSON.parse(readFileSync(DEFAULT_ENVIRONMENTS_FILE, "utf8")) as { environments: object }).environments,
);

/** Runs `fn` and returns what it wrote to stderr (where the validation report goes). */
function captureStderr(fn: () => void): string {
  const write = process.stderr.write.bind(process.stderr);
  const console_error = console.error;
  let text = "";
  process.stderr.write = ((chunk: string | Uint8Array) => {
    text += String(chunk);
    return true;
  }) as typeof process.stderr.write;
  console.error = (...args: unknown[]) => {
    text += `${args.join(" ")}\n`;
  };
  try {
    fn();
  } finally {
    process.stderr.write = write;
    console.error = console_error;
  }
  return text;
}

describe("cdk-nag AwsSolutions", () => {
  for (const name of names) {
    test(`environment ${name} synthesizes with no finding left unacknowledged`, () => {
      const { app } = buildApp(environment(name), { context: { "aws:cdk:bundling-stacks": [] } });
      assert.doesNotThrow(() => app.synth());
    });
  }

  test("a finding nobody acknowledged fails synthesis (the checks are really on)", () => {
    const { app, stack } = buildApp(environment("dev"), { context: { "aws:cdk:bundling-stacks": [] } });
    new s3.Bucket(stack, "Careless", { removalPolicy: RemovalPolicy.DESTROY });
    const report = captureStderr(() => assert.throws(() => app.synth(), /Validation failed/));
    assert.match(report, /AwsSolutions-S10/);
    assert.match(report, /sitesync-dev\/Careless/);
  });

  test("every acknowledgement in the template gives its reason in a sentence", () => {
    const { app } = buildApp(environment("prod"), { context: { "aws:cdk:bundling-stacks": [] } });
    const acknowledged = app.node
      .findAll()
      .flatMap((c) => c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY))
      .flatMap((m) => Object.entries(m.data as Record<string, string>).map(([id, reason]) => ({ id, reason })));
    assert.ok(acknowledged.length >= 10, `found ${acknowledged.length}`);
    for (const { id, reason } of acknowledged) {
      assert.ok(reason.length >= 40 && /\.$/.test(reason), `${id}: "${reason}" is not a sentence`);
    }
  });
});
