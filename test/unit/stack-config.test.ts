// The deployment's fields of the agent's configuration: from which stack output each comes
// (core/stack-config.ts, one case per row of its table), the starting configuration `sitesync init` writes
// (agent/init.ts), and how the parser takes its "//" note and its empty fields (agent/config.ts).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { parseConfig } from "../../agent/config.ts";
import { startingConfig } from "../../agent/init.ts";
import { ConfigError } from "../../core/errors.ts";
import {
  configFromStack,
  type DeployedStack,
  RESOURCE_FIELDS,
  StackOutputsError,
  withStackValues,
} from "../../core/stack-config.ts";

const OUTPUTS = {
  Region: "eu-west-1",
  SiteBucket: "example-com-site",
  VersionBucket: "example-com-versions",
  IndexTable: "sitesync-prod-index",
  ManifestQueueUrl: "https://sqs.eu-west-1.amazonaws.com/123456789012/sitesync-prod-manifests",
  DeadLetterQueueUrl: "https://sqs.eu-west-1.amazonaws.com/123456789012/sitesync-prod-dead-letters",
  PostSyncStateMachineArn: "arn:aws:states:eu-west-1:123456789012:stateMachine:PostSync1234",
  RestoreStateMachineArn: "arn:aws:states:eu-west-1:123456789012:stateMachine:Restore1234",
  RestoreQueueUrl: "https://sqs.eu-west-1.amazonaws.com/123456789012/sitesync-prod-restore",
};

const VALUES = {
  region: OUTPUTS.Region,
  siteBucket: OUTPUTS.SiteBucket,
  versionBucket: OUTPUTS.VersionBucket,
  table: OUTPUTS.IndexTable,
  queueUrl: OUTPUTS.ManifestQueueUrl,
  deadLetterQueueUrl: OUTPUTS.DeadLetterQueueUrl,
  postSyncStateMachineArn: OUTPUTS.PostSyncStateMachineArn,
  restoreStateMachineArn: OUTPUTS.RestoreStateMachineArn,
  restoreQueueUrl: OUTPUTS.RestoreQueueUrl,
};

const stack = (outputs: Record<string, string>, status = "UPDATE_COMPLETE"): DeployedStack => ({
  name: "sitesync-prod",
  status,
  outputs,
});

const without = (key: string) => Object.fromEntries(Object.entries(OUTPUTS).filter(([k]) => k !== key));

describe("configFromStack: one case per row of the decision table", () => {
  const rows: Array<{
    why: string;
    stack: DeployedStack | undefined;
    values?: Record<string, string>;
    notes?: string[];
    error?: RegExp;
  }> = [
    {
      why: "no such stack: says so, with the name and the region to check",
      stack: undefined,
      error: /^no stack named "sitesync-prod" in eu-west-1: check the name .*--region/,
    },
    {
      why: "an output missing: names it, the stack and its status",
      stack: stack(without("RestoreQueueUrl")),
      error: /^stack sitesync-prod \(UPDATE_COMPLETE\) has no output RestoreQueueUrl: .*cdk deploy/,
    },
    {
      why: "several missing (a stack whose creation failed): names them all",
      stack: stack({ Region: "eu-west-1" }, "ROLLBACK_COMPLETE"),
      error: /\(ROLLBACK_COMPLETE\) has no output SiteBucket, VersionBucket, IndexTable, .*RestoreQueueUrl:/,
    },
    {
      why: "an output present but empty counts as missing",
      stack: stack({ ...OUTPUTS, IndexTable: "" }),
      error: /has no output IndexTable:/,
    },
    { why: "every output: each field from its output", stack: stack(OUTPUTS), values: VALUES, notes: [] },
    {
      why: "the operator's outputs become notes, others are ignored",
      stack: stack({ ...OUTPUTS, AgentUser: "sitesync-prod-agent", DistributionDomain: "d1.cloudfront.net", X: "y" }),
      values: VALUES,
      notes: ["AgentUser", "DistributionDomain"],
    },
  ];
  for (const row of rows) {
    test(row.why, () => {
      if (row.error) {
        assert.throws(
          () => configFromStack(row.stack, "sitesync-prod", "eu-west-1"),
          (err: Error) => err instanceof StackOutputsError && row.error!.test(err.message),
        );
        return;
      }
      const result = configFromStack(row.stack, "sitesync-prod", "eu-west-1");
      assert.deepEqual(result.values, row.values);
      assert.deepEqual(
        result.notes.map((n) => n.output),
        row.notes,
      );
    });
  }
});

describe("withStackValues", () => {
  test("keeps every other field, the note and the order; adds a field the file lacked at the end", () => {
    const file = { "//": "prod", root: "/srv/site", region: "", siteBucket: "old", stateDir: "/var/lib/s" };
    const filled = withStackValues(file, VALUES);
    assert.deepEqual(Object.keys(filled), [
      "//",
      "root",
      "region",
      "siteBucket",
      "stateDir",
      ...RESOURCE_FIELDS.filter((f) => f !== "region" && f !== "siteBucket"),
    ]);
    assert.equal(filled["//"], "prod");
    assert.equal(filled.siteBucket, VALUES.siteBucket);
    assert.equal(filled.root, "/srv/site");
  });
});

describe("the starting configuration and the parser", () => {
  const SOURCE = "/etc/sitesync/prod.json";
  const parse = (raw: Record<string, unknown>) => parseConfig(raw, SOURCE, "/etc/sitesync");

  test("init's file parses once the deployment's fields are filled, its defaults the parser's", () => {
    const config = parse(withStackValues(startingConfig(SOURCE), VALUES));
    assert.equal(config.siteBucket, VALUES.siteBucket);
    assert.equal(config.restoreQueueUrl, VALUES.restoreQueueUrl);
    const defaults = parse({ ...VALUES, root: "/srv/ftp/site", stateDir: "/var/lib/sitesync" });
    assert.deepEqual(config, defaults);
  });

  test("its note names the command that fills it, for this file", () => {
    const note = (startingConfig(SOURCE)["//"] as string[]).join("\n");
    assert.match(note, /sitesync config --from-stack NAME -c \/etc\/sitesync\/prod\.json/);
  });

  const rejected: Array<{ why: string; raw: Record<string, unknown>; field: string; message: RegExp }> = [
    {
      why: "init's file as written: the first empty field, the others and the fix",
      raw: startingConfig(SOURCE),
      field: "region",
      message:
        /"region" must be a non-empty string, and is empty \(as are siteBucket, .*restoreQueueUrl\): .*--from-stack/,
    },
    {
      why: "one optional field left empty",
      raw: { ...withStackValues(startingConfig(SOURCE), VALUES), restoreStateMachineArn: "" },
      field: "restoreStateMachineArn",
      message: /"restoreStateMachineArn" must be a non-empty string, and is empty: .*--from-stack.*\(for example: /,
    },
    {
      why: "a note that is not text",
      raw: { ...withStackValues(startingConfig(SOURCE), VALUES), "//": { a: 1 } },
      field: "//",
      message: /a string or a list of strings \(for example: /,
    },
  ];
  for (const row of rejected) {
    test(`rejected: ${row.why}`, () => {
      assert.throws(
        () => parse(row.raw),
        (err: Error) =>
          err instanceof ConfigError &&
          err.field === row.field &&
          err.message.startsWith(`${SOURCE}: "${row.field}" `) &&
          row.message.test(err.message),
      );
    });
  }

  test("a note as one string or as a list is ignored", () => {
    const filled = withStackValues(startingConfig(SOURCE), VALUES);
    assert.deepEqual(parse({ ...filled, "//": "prod, edited by ops" }), parse(filled));
    assert.deepEqual(parse({ ...filled, "//": [] }), parse(filled));
  });
});
