// What the tests run is what gets deployed: the local stack reads its behaviour from the synthesized
// template, so changing the CDK configuration changes how the local stack behaves.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { localEnvironment } from "../../local/template.ts";
import { startLocalStack } from "../../local/stack.ts";
import { sendPoisonManifest } from "../support/poison.ts";
import { ReceiveMessageCommand } from "@aws-sdk/client-sqs";

async function deliveriesBeforeDeadLetter(maxReceiveCount: number): Promise<number> {
  const environment = localEnvironment();
  environment.apply.maxReceiveCount = maxReceiveCount;
  // Only the visibility timeout is shortened, so the test does not wait minutes between deliveries.
  const stack = await startLocalStack({ environment, overrides: { visibilityTimeoutSeconds: 1 } });
  try {
    assert.equal(stack.definition.maxReceiveCount, maxReceiveCount, "read from the template");
    await sendPoisonManifest(stack);
    let deliveries = 0;
    const source = stack.startApply({
      onError: () => {},
      handler: async (event) => {
        deliveries += event.Records.length;
        return stack.applyHandler(event);
      },
    });
    try {
      const deadline = Date.now() + 20_000;
      while (Date.now() < deadline) {
        const res = await stack.clients.sqs.send(
          new ReceiveMessageCommand({ QueueUrl: stack.deadLetterQueueUrl, WaitTimeSeconds: 0, VisibilityTimeout: 0 }),
        );
        if ((res.Messages ?? []).length > 0) return deliveries;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      throw new Error("the poison message never reached the dead-letter queue");
    } finally {
      await source.stop();
    }
  } finally {
    await stack.stop();
  }
}

describe("the local stack follows the synthesized template", () => {
  test("maxReceiveCount in the CDK configuration decides how often a poison manifest is delivered", async () => {
    assert.equal(await deliveriesBeforeDeadLetter(1), 1);
    assert.equal(await deliveriesBeforeDeadLetter(3), 3);
  });
});
