import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomUUID } from "node:crypto";
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
} from "@aws-sdk/client-sqs";
import type { SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { createAwsClients, type AwsClients } from "../../aws/clients.ts";
import { startLocalServers, type LocalServers } from "../../local/servers.ts";
import { startSqsEventSource, type SqsEventSource, type SqsEventSourceOptions } from "../../local/sqs-event-source.ts";

let servers: LocalServers;
let clients: AwsClients;
const sources: SqsEventSource[] = [];

before(async () => {
  servers = await startLocalServers({});
  clients = createAwsClients(servers.clientConfig);
});

after(async () => {
  await Promise.all(sources.map((s) => s.stop()));
  clients.destroy();
  await servers.stop();
});

interface QueuePair {
  url: string;
  arn: string;
  dlqUrl: string;
}

// A 1 s visibility timeout and maxReceiveCount 2 keep redelivery and redrive within a couple of seconds.
async function createQueuePair(): Promise<QueuePair> {
  const name = `apply-${randomUUID().slice(0, 8)}`;
  const dlq = await clients.sqs.send(new CreateQueueCommand({ QueueName: `${name}-dlq` }));
  const dlqUrl = dlq.QueueUrl!;
  const dlqArn = await queueArn(dlqUrl);
  const queue = await clients.sqs.send(
    new CreateQueueCommand({
      QueueName: name,
      Attributes: {
        VisibilityTimeout: "1",
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 2 }),
      },
    }),
  );
  const url = queue.QueueUrl!;
  return { url, arn: await queueArn(url), dlqUrl };
}

async function queueArn(url: string): Promise<string> {
  const out = await clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["QueueArn"] }));
  return out.Attributes!.QueueArn!;
}

async function sendBodies(url: string, bodies: string[]): Promise<void> {
  const out = await clients.sqs.send(
    new SendMessageBatchCommand({
      QueueUrl: url,
      Entries: bodies.map((body, i) => ({ Id: String(i), MessageBody: body })),
    }),
  );
  assert.equal(out.Successful?.length, bodies.length);
}

async function messagesLeft(url: string): Promise<{ visible: number; inFlight: number }> {
  const out = await clients.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    }),
  );
  return {
    visible: Number(out.Attributes!.ApproximateNumberOfMessages),
    inFlight: Number(out.Attributes!.ApproximateNumberOfMessagesNotVisible),
  };
}

// biome-ignore lint/suspicious/noConfusingVoidType: the Lambda handler contract is `Promise<SQSBatchResponse | void>`
type Handler = (event: SQSEvent) => Promise<SQSBatchResponse | void>;

function start(queue: QueuePair, handler: Handler, extra: Partial<SqsEventSourceOptions> = {}): SqsEventSource {
  const source = startSqsEventSource({
    sqs: clients.sqs,
    queueUrl: queue.url,
    queueArn: queue.arn,
    region: servers.region,
    handler,
    waitTimeSeconds: 1,
    onError: () => {},
    ...extra,
  });
  sources.push(source);
  return source;
}

/** Every delivery the handler saw, as body → the ApproximateReceiveCount of each delivery, in order. */
function deliveryLog() {
  const deliveries = new Map<string, number[]>();
  return {
    deliveries,
    record(records: SQSRecord[]) {
      for (const r of records) {
        deliveries.set(r.body, [...(deliveries.get(r.body) ?? []), Number(r.attributes.ApproximateReceiveCount)]);
      }
    },
  };
}

async function until(condition: () => boolean, what: string, timeoutMs = 8_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

// Each test has its own queues, so they run side by side to stay fast despite real visibility timeouts.
describe("local SQS event source, as Lambda drives the handler", { concurrency: true }, () => {
  test("a partial batch failure deletes the others and redelivers only the failed message", async () => {
    const queue = await createQueuePair();
    const bodies = ["m0", "m1", "m2", "m3", "m4"];
    const log = deliveryLog();
    const source = start(queue, async (event) => {
      log.record(event.Records);
      const failed = event.Records.filter((r) => r.body === "m2" && r.attributes.ApproximateReceiveCount === "1");
      return { batchItemFailures: failed.map((r) => ({ itemIdentifier: r.messageId })) };
    });
    await sendBodies(queue.url, bodies);

    await until(() => log.deliveries.get("m2")?.length === 2, "m2 was delivered again");
    await source.idle();

    assert.deepEqual(Object.fromEntries(log.deliveries), { m0: [1], m1: [1], m2: [1, 2], m3: [1], m4: [1] });
    assert.deepEqual(await messagesLeft(queue.url), { visible: 0, inFlight: 0 });
    assert.deepEqual(await messagesLeft(queue.dlqUrl), { visible: 0, inFlight: 0 });
    assert.equal(source.stats.deleted, 5);
    assert.equal(source.stats.failedItems, 1);
  });

  test("a message the handler always fails ends in the dead-letter queue, intact", async () => {
    const queue = await createQueuePair();
    const poison = JSON.stringify({ op: "put", key: "dir/poison é\n.html", version: 7 });
    const log = deliveryLog();
    const source = start(queue, async (event) => {
      log.record(event.Records);
      const failed = event.Records.filter((r) => r.body === poison);
      return { batchItemFailures: failed.map((r) => ({ itemIdentifier: r.messageId })) };
    });
    await clients.sqs.send(
      new SendMessageCommand({
        QueueUrl: queue.url,
        MessageBody: poison,
        MessageAttributes: { run: { DataType: "String", StringValue: "run-1" } },
      }),
    );
    await sendBodies(queue.url, ["ok-1", "ok-2"]);

    const dead = await clients.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queue.dlqUrl,
        WaitTimeSeconds: 8,
        MessageAttributeNames: ["All"],
        MessageSystemAttributeNames: ["All"],
      }),
    );
    await source.idle();

    assert.equal(dead.Messages?.length, 1);
    assert.equal(dead.Messages[0]!.Body, poison);
    assert.equal(dead.Messages[0]!.MessageAttributes?.run?.StringValue, "run-1");
    assert.deepEqual(Object.fromEntries(log.deliveries), { [poison]: [1, 2], "ok-1": [1], "ok-2": [1] });
    assert.deepEqual(await messagesLeft(queue.url), { visible: 0, inFlight: 0 });
    assert.equal(source.stats.deleted, 2);
  });

  const wholeBatchFailures: Array<[string, (records: SQSRecord[]) => SQSBatchResponse]> = [
    [
      "throws",
      () => {
        throw new Error("apply failed");
      },
    ],
    ["names a message that is not in the batch", () => ({ batchItemFailures: [{ itemIdentifier: "not-a-message" }] })],
    ["returns an empty itemIdentifier", () => ({ batchItemFailures: [{ itemIdentifier: "" }] })],
  ];
  for (const [label, fail] of wholeBatchFailures) {
    test(`a handler that ${label} gets the whole batch again`, async () => {
      const queue = await createQueuePair();
      const log = deliveryLog();
      const errors: unknown[] = [];
      const source = start(
        queue,
        async (event) => {
          log.record(event.Records);
          // Every first delivery fails, so each message must come back whichever batch it arrived in.
          if (event.Records.some((r) => r.attributes.ApproximateReceiveCount === "1")) return fail(event.Records);
        },
        { onError: (err) => errors.push(err) },
      );
      await sendBodies(queue.url, ["a", "b", "c"]);

      await until(() => ["a", "b", "c"].every((b) => log.deliveries.get(b)?.length === 2), "all were redelivered");
      await source.idle();

      assert.deepEqual(Object.fromEntries(log.deliveries), { a: [1, 2], b: [1, 2], c: [1, 2] });
      assert.deepEqual(await messagesLeft(queue.url), { visible: 0, inFlight: 0 });
      assert.equal(source.stats.deleted, 3);
      assert.equal(source.stats.failedItems, 3);
      assert.ok(source.stats.handlerErrors >= 1);
      assert.equal(errors.length, source.stats.handlerErrors);
    });
  }

  test("records carry the fields Lambda sends", async () => {
    const queue = await createQueuePair();
    const events: SQSEvent[] = [];
    const source = start(queue, async (event) => {
      events.push(event);
    });
    // Not an emoji: fauxqs 2.4.1 rejects characters beyond U+FFFF in bodies, which real SQS accepts.
    const body = "manifest caf\u00e9 \u65e5\u672c";
    const sent = await clients.sqs.send(
      new SendMessageCommand({
        QueueUrl: queue.url,
        MessageBody: body,
        MessageAttributes: {
          run: { DataType: "String", StringValue: "run-42" },
          count: { DataType: "Number", StringValue: "17" },
          blob: { DataType: "Binary", BinaryValue: Buffer.from([0, 1, 254, 255]) },
        },
      }),
    );
    const before = Date.now();
    await until(() => events.length === 1, "the handler ran");
    await source.idle();

    assert.equal(events.length, 1);
    const [record] = events[0]!.Records;
    assert.ok(record);
    assert.equal(record.messageId, sent.MessageId);
    assert.equal(typeof record.receiptHandle, "string");
    assert.ok(record.receiptHandle.length > 0);
    assert.equal(record.body, body);
    assert.equal(record.md5OfBody, createHash("md5").update(body).digest("hex"));
    assert.equal(record.md5OfMessageAttributes, sent.MD5OfMessageAttributes);
    assert.equal(record.eventSource, "aws:sqs");
    assert.equal(record.eventSourceARN, queue.arn);
    assert.equal(record.awsRegion, "us-east-1");

    const { ApproximateReceiveCount, SentTimestamp, SenderId, ApproximateFirstReceiveTimestamp } = record.attributes;
    assert.equal(ApproximateReceiveCount, "1");
    assert.match(SenderId, /\S/);
    assert.match(SentTimestamp, /^\d+$/);
    assert.match(ApproximateFirstReceiveTimestamp, /^\d+$/);
    assert.ok(Number(SentTimestamp) <= Number(ApproximateFirstReceiveTimestamp));
    assert.ok(Number(SentTimestamp) <= before);

    assert.deepEqual(record.messageAttributes, {
      run: { stringValue: "run-42", stringListValues: [], binaryListValues: [], dataType: "String" },
      count: { stringValue: "17", stringListValues: [], binaryListValues: [], dataType: "Number" },
      blob: { binaryValue: "AAH+/w==", stringListValues: [], binaryListValues: [], dataType: "Binary" },
    });
  });

  test("stop() ends a long poll at once", async () => {
    const queue = await createQueuePair();
    const source = start(queue, async () => {}, { waitTimeSeconds: 20 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const started = Date.now();
    await source.stop();
    assert.ok(Date.now() - started < 1_000, `stop took ${Date.now() - started} ms`);
    await assert.rejects(source.idle());
  });
});
