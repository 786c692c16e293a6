// Delivery as SQS really does it: at least once, in any order, with failures. Messages are taken off the
// queue and handed to the real handler by hand, or through the local event source with a wrapped handler.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { statSync, unlinkSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ReceiveMessageCommand, type Message } from "@aws-sdk/client-sqs";
import type { SQSEvent, SQSRecord } from "aws-lambda";
import { getFile } from "../../aws/index/files.ts";
import { getRun, getRunProgress } from "../../aws/index/runs.ts";
import type { Manifest } from "../../core/manifest.ts";
import { startHarness, writeTree, type Harness } from "../support/harness.ts";
import { sendPoisonManifest } from "../support/poison.ts";

function toRecord(message: Message): SQSRecord {
  return {
    messageId: message.MessageId!,
    receiptHandle: message.ReceiptHandle!,
    body: message.Body!,
    attributes: {
      ApproximateReceiveCount: "1",
      SentTimestamp: "0",
      SenderId: "test",
      ApproximateFirstReceiveTimestamp: "0",
    },
    messageAttributes: Object.fromEntries(
      Object.entries(message.MessageAttributes ?? {}).map(([k, v]) => [
        k,
        { stringValue: v.StringValue, dataType: v.DataType ?? "String", stringListValues: [], binaryListValues: [] },
      ]),
    ),
    md5OfBody: message.MD5OfBody ?? "",
    eventSource: "aws:sqs",
    eventSourceARN: "arn:aws:sqs:us-east-1:000000000000:test",
    awsRegion: "us-east-1",
  };
}

const event = (...messages: Message[]): SQSEvent => ({ Records: messages.map(toRecord) });

describe("apply under duplicate, out-of-order and failing delivery", () => {
  let h: Harness;

  before(async () => {
    h = await startHarness({ apply: false });
  });
  after(() => h.close());

  async function takeMessages(expected: number): Promise<Message[]> {
    const res = await h.stack.clients.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: h.stack.queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
        MessageAttributeNames: ["All"],
      }),
    );
    const messages = res.Messages ?? [];
    assert.equal(messages.length, expected, "messages on the queue");
    return messages;
  }

  const runOf = (m: Message) => (JSON.parse(m.Body!) as Manifest).runId;

  test("manifests delivered twice and in reverse order leave the newest version published", async () => {
    const root = h.tempDir();
    writeTree(root, { "page.html": "version one" });
    const config = h.config(root, { prefix: "order/" });
    const first = await h.sync(config);
    const path = join(root, "page.html");
    writeFileSync(path, "version two!");
    const later = new Date(statSync(path).mtimeMs + 10_000);
    utimesSync(path, later, later);
    const second = await h.sync(config);

    const messages = await takeMessages(2);
    const m1 = messages.find((m) => runOf(m) === first.runId)!;
    const m2 = messages.find((m) => runOf(m) === second.runId)!;
    for (const batch of [[m2], [m1], [m1], [m2]]) {
      const response = await h.stack.applyHandler(event(...batch));
      assert.deepEqual(response.batchItemFailures, []);
    }
    const object = await h.getObject("order/page.html");
    assert.equal(object?.body.toString(), "version two!");
    const record = await getFile(h.stack.clients.dynamodb, h.stack.definition.table, "order/page.html");
    assert.equal(record?.published?.version, second.runId);
    // Each run counts its entry exactly once, duplicates and the dropped old entry included.
    for (const run of [first, second]) {
      const progress = await getRunProgress(h.stack.clients.dynamodb, h.stack.definition.table, run.runId);
      const sent = (await getRun(h.stack.clients.dynamodb, h.stack.definition.table, run.runId))?.sent;
      assert.equal(progress.applied, 1);
      assert.equal(sent, 1);
    }
    assert.equal((await getRunProgress(h.stack.clients.dynamodb, h.stack.definition.table, first.runId)).superseded, 1);
  });

  test("a delete that arrives before the older upload wins: the key stays deleted", async () => {
    const root = h.tempDir();
    writeTree(root, { "gone.txt": "short-lived", "stay.txt": "stays" });
    const config = h.config(root, { prefix: "late/" });
    const first = await h.sync(config);
    unlinkSync(join(root, "gone.txt"));
    const second = await h.sync(config);
    const messages = await takeMessages(2);
    const put = messages.find((m) => runOf(m) === first.runId)!;
    const del = messages.find((m) => runOf(m) === second.runId)!;
    await h.stack.applyHandler(event(del));
    await h.stack.applyHandler(event(put));
    await h.stack.applyHandler(event(del));
    assert.equal(await h.getObject("late/gone.txt"), undefined);
    assert.equal(await getFile(h.stack.clients.dynamodb, h.stack.definition.table, "late/gone.txt"), undefined);
    assert.equal((await h.getObject("late/stay.txt"))?.body.toString(), "stays");
  });
});

describe("the event source retries only failed messages and parks poison in the dead-letter queue", () => {
  let h: Harness;

  before(async () => {
    h = await startHarness({
      apply: false,
      environment: (env) => {
        env.apply.maxReceiveCount = 2;
      },
      // Fast redelivery for the test; still longer than the template's 1 s batching window plus a handler run.
      overrides: { visibilityTimeoutSeconds: 3 },
      // The poison manifest ends in the dead-letter queue, as it should.
      expect: { deadLetters: true },
    });
  });
  after(() => h.close());

  test("one failing manifest is retried alone, then lands in the DLQ intact; the others apply once", async () => {
    const roots = [h.tempDir(), h.tempDir()];
    writeTree(roots[0]!, { "one.txt": "first good message" });
    writeTree(roots[1]!, { "two.txt": "second good message" });
    await h.sync(h.config(roots[0]!, { prefix: "good1/" }));
    await h.sync(h.config(roots[1]!, { prefix: "good2/" }));

    const poison = await sendPoisonManifest(h.stack);

    const seen = new Map<string, number>();
    const source = h.stack.startApply({
      onError: () => {},
      handler: async (e) => {
        for (const r of e.Records) {
          const key = (JSON.parse(r.body) as Manifest).prefix;
          seen.set(key, (seen.get(key) ?? 0) + 1);
        }
        return h.stack.applyHandler(e);
      },
    });
    try {
      const deadline = Date.now() + 20_000;
      let dead: string[] = [];
      while (dead.length === 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        dead = await h.deadLetters();
      }
      assert.equal(dead.length, 1, "the poison message is in the DLQ");
      assert.equal(dead[0], poison.body, "with its body intact");
    } finally {
      await source.stop();
    }
    assert.equal(seen.get("good1/"), 1, "good message 1 handled once");
    assert.equal(seen.get("good2/"), 1, "good message 2 handled once");
    assert.equal(seen.get("bad/"), 2, "the poison message was tried maxReceiveCount times");
    assert.equal((await h.getObject("good1/one.txt"))?.body.toString(), "first good message");
    assert.equal((await h.getObject("good2/two.txt"))?.body.toString(), "second good message");
    assert.equal(await h.getObject("bad/poison.txt"), undefined);
  });
});
