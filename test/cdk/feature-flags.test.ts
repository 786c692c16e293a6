// The CDK feature flags: every flag that `cdk init` turns on today for the installed aws-cdk-lib (its
// CURRENTLY_RECOMMENDED_FLAGS, which the CLI writes into a new project's cdk.json) is on in this app's cdk.json
// with the recommended value, or is named below with the reason it stays off.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { FeatureFlags } from "aws-cdk-lib";
import { CURRENTLY_RECOMMENDED_FLAGS } from "aws-cdk-lib/cx-api";
import { buildApp, featureFlags } from "../../lib/app.ts";
import { environment } from "./support.ts";

/** Recommended flags this app leaves off, each with its reason. Every one is on today. */
const LEFT_OFF: Record<string, string> = {};

const recommended = CURRENTLY_RECOMMENDED_FLAGS as Record<string, unknown>;

describe("feature flags", () => {
  test("every recommended flag is on with its recommended value, or its reason is given", () => {
    const set = featureFlags();
    const missing = Object.entries(recommended)
      .filter(([flag, value]) => JSON.stringify(set[flag]) !== JSON.stringify(value) && !(flag in LEFT_OFF))
      .map(
        ([flag, value]) => `${flag}: ${JSON.stringify(value)} recommended, ${JSON.stringify(set[flag])} in cdk.json`,
      );
    assert.deepEqual(missing, []);
  });

  test("every reason names a recommended flag that is off, and says why", () => {
    const set = featureFlags();
    for (const [flag, reason] of Object.entries(LEFT_OFF)) {
      assert.ok(flag in recommended, `${flag} is not a recommended flag`);
      assert.notDeepEqual(set[flag], recommended[flag], `${flag} is on: drop its reason`);
      assert.ok(reason.length > 20, `${flag}: say why`);
    }
  });

  test("an app built in process (tests, the local stack) has cdk.json's flags, as the CLI's does", () => {
    const { stack } = buildApp(environment("local"), { context: { "aws:cdk:bundling-stacks": [] } });
    for (const [flag, value] of Object.entries(featureFlags())) {
      assert.deepEqual(stack.node.tryGetContext(flag), value, flag);
    }
    assert.ok(FeatureFlags.of(stack).isEnabled("@aws-cdk/aws-iam:minimizePolicies"));
  });
});
