// Manifests taken off the queue by hand, for tests that deliver them to the apply logic themselves: in any
// order, more than once, or after tampering with the bucket in between.
import { DeleteMessageCommand, ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { decodeManifest, type Manifest } from "../../core/manifest.ts";
import type { LocalStack } from "../../local/stack.ts";

/** Receives and deletes the `count` messages a run sent, decoded. */
export async function takeManifests(stack: LocalStack, count: number): Promise<Manifest[]> {
  const manifests: Manifest[] = [];
  const deadline = Date.now() + 10_000;
  while (manifests.length < count) {
    if (Date.now() > deadline) throw new Error(`only ${manifests.length} of ${count} manifests on the queue`);
    const res = await stack.clients.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: stack.queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
        MessageAttributeNames: ["All"],
      }),
    );
    for (const message of res.Messages ?? []) {
      manifests.push(
        decodeManifest(message.Body!, message.MessageAttributes?.encoding?.StringValue, message.MessageId!),
      );
      await stack.clients.sqs.send(
        new DeleteMessageCommand({ QueueUrl: stack.queueUrl, ReceiptHandle: message.ReceiptHandle! }),
      );
    }
  }
  return manifests;
}
