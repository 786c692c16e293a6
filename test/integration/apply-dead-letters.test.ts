// A manifest that can never apply reaches the dead-letter queue on its first failure, parked by the apply
// handler with why; a manifest whose failure may pass is still delivered again and redriven by SQS. All of it
// through the real local SQS, driven by the local event source as Lambda drives the handler.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { ReceiveMessageCommand, SendMessageCommand, type Message } from "@aws-sdk/client-sqs";
import { encodeManifest } from "../../core/manifest.ts";
import { PARKED_ATTRIBUTES } from "../../lambdas/apply/handler.ts";
import { startHarness, writeTree, type Harness } from "../support/harness.ts";
import { deadLetters, sendPoisonManifest } from "../support/poison.ts";

describe("poison manifests are parked at once; retryable failures are retried", () => {
  let h: Harness;

  before(async () => {
    h = await startHarness({
      apply: false,
      environment: (env) => {
        env.apply.maxReceiveCount = 2;
      },
      // Fast redelivery for the test; still longer than the template's 1 s batching window plus a handler run.
      overrides: { visibilityTimeoutSeconds: 3 },
      // The poison manifests these tests send end in the dead-letter queue, as they should.
      expect: { deadLetters: true },
    });
  });
  after(() => h.close());

  async function send(body: string, encoding: string): Promise<string> {
    const sent = await h.stack.clients.sqs.send(
      new SendMessageCommand({
        QueueUrl: h.stack.queueUrl,
        MessageBody: body,
        MessageAttributes: { encoding: { DataType: "String", StringValue: encoding } },
      }),
    );
    return sent.MessageId!;
  }

  test("not JSON, breaking the manifest contract, or never indexable: in the DLQ after one delivery", async () => {
    const root = h.tempDir();
    writeTree(root, { "ok.txt": "a good manifest in the same batches" });
    await h.sync(h.config(root, { prefix: "good/" }));
    const runId = "20261125T000000000Z-00000a";
    const badEntry = encodeManifest({
      v: 1,
      runId,
      seq: 0,
      prefix: "bad/",
      entries: [
        {
          op: "put",
          key: "bad/a.txt",
          version: "v1",
          size: 1,
          mtime: "soon",
          contentType: "text/plain",
          source: { key: "packs/p", offset: 0, length: 1 },
        },
      ],
    });
    // Fits the contract, but no index can hold the name: the apply logic itself fails permanently.
    const unindexable = encodeManifest({
      v: 1,
      runId,
      seq: 1,
      prefix: "bad/",
      entries: [{ op: "delete", key: `bad/${"x".repeat(1100)}`, version: "v1" }],
    });
    const poison = [
      {
        body: "this is not a manifest",
        encoding: "json",
        reason: /^message .*: body is not JSON; expected a sitesync manifest$/,
      },
      {
        ...badEntry,
        reason:
          /^message .*: "entries\[0\]\.mtime": expected nanoseconds since the epoch as a decimal string, got "soon"$/,
      },
      { ...unindexable, reason: /is 1100 bytes long as an index sort key; DynamoDB allows 1024/ },
    ];
    const sent = new Map<string, (typeof poison)[number]>();
    for (const p of poison) sent.set(await send(p.body, p.encoding), p);

    const deliveries = new Map<string, string[]>();
    const source = h.stack.startApply({
      onError: () => {},
      handler: async (event) => {
        for (const r of event.Records) {
          deliveries.set(r.messageId, [...(deliveries.get(r.messageId) ?? []), r.attributes.ApproximateReceiveCount]);
        }
        return h.stack.applyHandler(event);
      },
    });
    let dead: Message[];
    try {
      // Well within one visibility timeout (3 s): a redrive by SQS could not have happened yet.
      dead = await deadLetters(h.stack, poison.length, 2_500, (m) => poison.some((p) => p.body === m.Body));
      await source.idle();
    } finally {
      await source.stop();
    }

    assert.equal(dead.length, poison.length, "all are in the DLQ before their visibility timeout ran out");
    for (const message of dead) {
      const attributes = message.MessageAttributes ?? {};
      const sourceId = attributes[PARKED_ATTRIBUTES.sourceMessageId]?.StringValue ?? "";
      const original = sent.get(sourceId);
      assert.ok(original, `names the message it parks (${sourceId})`);
      assert.equal(message.Body, original.body, "with its body intact");
      assert.equal(attributes.encoding?.StringValue, original.encoding, "and its own attributes");
      assert.equal(attributes[PARKED_ATTRIBUTES.receiveCount]?.StringValue, "1", "parked on its first delivery");
      assert.equal(attributes[PARKED_ATTRIBUTES.error]?.StringValue, "BadInputError");
      assert.match(attributes[PARKED_ATTRIBUTES.reason]?.StringValue ?? "", original.reason);
      assert.deepEqual(deliveries.get(sourceId), ["1"], "the handler saw it once");
    }
    assert.equal((await h.getObject("good/ok.txt"))?.body.toString(), "a good manifest in the same batches");
    assert.deepEqual(
      await h.stack.clients.sqs
        .send(new ReceiveMessageCommand({ QueueUrl: h.stack.queueUrl, WaitTimeSeconds: 0 }))
        .then((r) => r.Messages ?? []),
      [],
      "the manifest queue is empty",
    );
  });

  test("missing staged bytes may yet appear: delivered again, and redriven by SQS after maxReceiveCount", async () => {
    const poison = await sendPoisonManifest(h.stack, "retry/");
    const receives: string[] = [];
    const source = h.stack.startApply({
      onError: () => {},
      handler: async (event) => {
        receives.push(...event.Records.map((r) => r.attributes.ApproximateReceiveCount));
        return h.stack.applyHandler(event);
      },
    });
    let dead: Message[];
    try {
      dead = await deadLetters(h.stack, 1, 20_000, (m) => m.Body === poison.body);
    } finally {
      await source.stop();
    }
    assert.equal(dead.length, 1);
    assert.equal(dead[0]!.Body, poison.body);
    assert.deepEqual(receives, ["1", "2"], "delivered maxReceiveCount times");
    assert.equal(
      dead[0]!.MessageAttributes?.[PARKED_ATTRIBUTES.reason],
      undefined,
      "moved by SQS, not parked by the handler",
    );
    assert.equal(await h.getObject(poison.key), undefined);
  });
});
