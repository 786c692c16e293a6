// The workflows refuse an input that does not fit its contract: the execution fails at once with
// BadInputError (no Retry matches it) and a cause naming the field.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { StartExecutionCommand } from "@aws-sdk/client-sfn";
import { startHarness, type Harness } from "../support/harness.ts";

describe("a workflow input that breaks its contract", () => {
  let h: Harness;

  before(async () => {
    h = await startHarness({ apply: false });
  });
  after(() => h.close());

  async function execute(stateMachineArn: string, input: unknown) {
    const started = await h.stack.clients.sfn.send(
      new StartExecutionCommand({ stateMachineArn, input: JSON.stringify(input) }),
    );
    return h.stack.postSync.server.waitForExecution(started.executionArn!, 30_000);
  }

  const restores: Array<[string, unknown, RegExp]> = [
    ["a site restore without a time", { target: "site", prefix: "docs/" }, /"asOf": expected the time to restore to/],
    ["a time without its zone", { target: "site", prefix: "", asOf: "2026-11-25" }, /"asOf": expected an ISO 8601/],
    ["an unknown target", { target: "bucket", prefix: "" }, /"target": expected "site" or "host"/],
  ];
  for (const [why, input, cause] of restores) {
    test(`Restore: ${why}`, async () => {
      const execution = await execute(h.stack.postSync.restoreStateMachineArn, input);
      assert.equal(execution.status, "FAILED");
      assert.equal(execution.error, "BadInputError");
      assert.match(execution.cause ?? "", cause);
    });
  }

  test("PostSync: a run id of another shape", async () => {
    const execution = await execute(h.stack.postSync.stateMachineArn, { runId: "last-night" });
    assert.equal(execution.status, "FAILED");
    assert.equal(execution.error, "BadInputError");
    assert.match(
      execution.cause ?? "",
      /"runId": expected a run id such as 20261125T114723123Z-9f3ac1, got \\?"last-night/,
    );
  });
});
