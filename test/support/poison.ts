// A manifest that can never apply: the index desires it, but its staged bytes do not exist. Every
// delivery tries and fails, which is what redrive to the dead-letter queue is for.
import { ReceiveMessageCommand, SendMessageBatchCommand, type Message } from "@aws-sdk/client-sqs";
import { writeIndex } from "../../aws/index/files.ts";
import { encodeManifest, type Manifest } from "../../core/manifest.ts";
import type { LocalStack } from "../../local/stack.ts";

export async function sendPoisonManifest(stack: LocalStack, prefix = "bad/"): Promise<{ body: string; key: string }> {
  const key = `${prefix}poison.txt`;
  const source = { key: "packs/missing.pack", offset: 0, length: 3 };
  const manifest: Manifest = {
    v: 1,
    runId: "20261125T000000000Z-000000",
    seq: 0,
    prefix,
    entries: [{ op: "put", key, version: "p1", size: 3, mtime: "1", contentType: "text/plain", source }],
  };
  await writeIndex(stack.clients.dynamodb, stack.definition.table, [
    {
      write: {
        kind: "desired",
        key,
        desired: {
          op: "put",
          version: "p1",
          run: manifest.runId,
          size: 3,
          mtime: "1",
          contentType: "text/plain",
          source,
        },
      },
    },
  ]);
  const encoded = encodeManifest(manifest);
  await stack.clients.sqs.send(
    new SendMessageBatchCommand({
      QueueUrl: stack.queueUrl,
      Entries: [
        {
          Id: "poison",
          MessageBody: encoded.body,
          MessageAttributes: { encoding: { DataType: "String", StringValue: encoded.encoding } },
        },
      ],
    }),
  );
  return { body: encoded.body, key };
}

/** The messages in the DLQ that `wanted` picks, once `count` are there (or the time is up); left in place. */
export async function deadLetters(
  stack: LocalStack,
  count: number,
  timeoutMs: number,
  wanted: (m: Message) => boolean,
): Promise<Message[]> {
  const found = new Map<string, Message>();
  const deadline = Date.now() + timeoutMs;
  while (found.size < count && Date.now() < deadline) {
    const res = await stack.clients.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: stack.deadLetterQueueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
        VisibilityTimeout: 0,
        MessageAttributeNames: ["All"],
      }),
    );
    for (const m of (res.Messages ?? []).filter(wanted)) found.set(m.MessageId!, m);
  }
  return [...found.values()];
}
