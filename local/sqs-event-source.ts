// Drives a Lambda SQS handler the way AWS Lambda's SQS event source mapping does, so the real apply handler runs
// locally with Lambda's delivery rules: long-polled batches, the exact SQSEvent shape, partial batch responses,
// and redelivery of whatever was not deleted once the queue's visibility timeout expires (redrive to the DLQ
// after maxReceiveCount is the queue's own job).
import { setTimeout as sleep } from "node:timers/promises";
import type { Message, MessageAttributeValue, SQSClient } from "@aws-sdk/client-sqs";
import type { SQSBatchResponse, SQSEvent, SQSMessageAttribute, SQSRecord } from "aws-lambda";
import { deleteMessageBatch, receiveMessages } from "../aws/queue.ts";

export interface SqsEventSourceOptions {
  sqs: SQSClient;
  queueUrl: string;
  queueArn: string;
  region: string;
  // Lambda's SQS handlers may resolve to nothing: every record of the batch succeeded.
  // biome-ignore lint/suspicious/noConfusingVoidType: the Lambda handler contract is `Promise<SQSBatchResponse | void>`
  handler: (event: SQSEvent) => Promise<SQSBatchResponse | void>;
  /** Records per invocation (Lambda's BatchSize): 1–10, or up to 10,000 with a batching window of at least 1 s. */
  batchSize?: number;
  /** Lambda's MaximumBatchingWindowInSeconds, in ms: how long to keep gathering a batch once it has a message. */
  maximumBatchingWindowMs?: number;
  /** Concurrent handler invocations (Lambda's MaximumConcurrency). */
  maxConcurrency?: number;
  /** Long-poll wait per ReceiveMessage; Lambda uses 20. idle() can take up to this long to resolve. */
  waitTimeSeconds?: number;
  /** Lambda's ReportBatchItemFailures: when false, the handler's response is ignored, as in AWS. */
  reportBatchItemFailures?: boolean;
  /** Failures Lambda would log: handler errors, invalid responses, failed receives and deletes. */
  onError?: (err: unknown) => void;
}

export interface SqsEventSourceStats {
  invocations: number;
  received: number;
  deleted: number;
  /** Records left on the queue for redelivery because the handler failed them. */
  failedItems: number;
  /** Invocations that threw or returned a response Lambda would reject. */
  handlerErrors: number;
  /** Records whose deletion still failed after retries (they will be delivered again). */
  deleteErrors: number;
}

export interface SqsEventSource {
  stop(): Promise<void>;
  /** Resolves at the next poll that comes back empty while no invocation is in flight. */
  idle(): Promise<void>;
  readonly stats: SqsEventSourceStats;
}

const MAX_RECEIVE_BATCH = 10;
const MAX_LAMBDA_BATCH = 10_000;
// Lambda stops gathering a batch when it reaches the synchronous invocation payload limit.
const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;
const RECEIVE_RETRY_MS = 1_000;
const DELETE_ATTEMPTS = 5;

export function startSqsEventSource(options: SqsEventSourceOptions): SqsEventSource {
  const batchSize = options.batchSize ?? 10;
  const windowMs = options.maximumBatchingWindowMs ?? 0;
  const maxConcurrency = options.maxConcurrency ?? 2;
  const waitTimeSeconds = options.waitTimeSeconds ?? 20;
  const reportBatchItemFailures = options.reportBatchItemFailures ?? true;
  const onError = options.onError ?? ((err: unknown) => console.error("sqs event source:", err));
  validate(batchSize, windowMs, maxConcurrency, waitTimeSeconds);

  const stats: SqsEventSourceStats = {
    invocations: 0,
    received: 0,
    deleted: 0,
    failedItems: 0,
    handlerErrors: 0,
    deleteErrors: 0,
  };
  const abort = new AbortController();
  const inFlight = new Set<Promise<void>>();
  let idleWaiters: Array<{ resolve: () => void; reject: (err: Error) => void }> = [];
  let stopping: Promise<void> | undefined;

  async function receive(max: number, wait: number): Promise<Message[]> {
    const messages = await receiveMessages(options.sqs, options.queueUrl, {
      max,
      waitSeconds: wait,
      allAttributes: true,
      signal: abort.signal,
    });
    stats.received += messages.length;
    return messages;
  }

  async function receiveBatch(): Promise<Message[]> {
    const batch = await receive(Math.min(batchSize, MAX_RECEIVE_BATCH), waitTimeSeconds);
    if (batch.length === 0 || windowMs === 0) return batch;
    const deadline = Date.now() + windowMs;
    // Messages in hand are invisible to everyone else: from here on, errors and stop() end the gathering and the
    // batch is still invoked, rather than left to wait out the visibility timeout.
    try {
      while (batch.length < batchSize && payloadBytes(batch) < MAX_PAYLOAD_BYTES) {
        const remainingMs = deadline - Date.now();
        if (remainingMs <= 0) break;
        const wait = Math.min(20, Math.floor(remainingMs / 1000));
        const more = await receive(Math.min(batchSize - batch.length, MAX_RECEIVE_BATCH), wait);
        batch.push(...more);
        if (more.length === 0 && wait === 0)
          await sleep(Math.min(remainingMs, 100), undefined, { signal: abort.signal });
      }
    } catch (err) {
      if (!abort.signal.aborted) onError(err);
    }
    return batch;
  }

  async function invoke(messages: Message[]): Promise<void> {
    let records: SQSRecord[];
    try {
      records = messages.map((m) => toRecord(m, options.queueArn, options.region));
    } catch (err) {
      onError(err);
      stats.failedItems += messages.length;
      return;
    }
    stats.invocations++;
    let failed: Set<string>;
    try {
      const response = await options.handler({ Records: records });
      failed = reportBatchItemFailures ? failedMessageIds(response, records) : new Set();
    } catch (err) {
      stats.handlerErrors++;
      onError(err);
      failed = new Set(records.map((r) => r.messageId));
    }
    // Receipt handles come from the messages, not the records: the handler may have changed its event.
    const done = messages.filter((m) => !failed.has(m.MessageId ?? ""));
    stats.failedItems += messages.length - done.length;
    for (let i = 0; i < done.length; i += MAX_RECEIVE_BATCH) {
      await deleteMessages(done.slice(i, i + MAX_RECEIVE_BATCH));
    }
  }

  async function deleteMessages(messages: Message[]): Promise<void> {
    let pending = messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle, messageId: m.MessageId }));
    let lastProblem: unknown;
    for (let attempt = 1; ; attempt++) {
      try {
        // Not abortable: a handled message must be deleted even while the source stops.
        const out = await deleteMessageBatch(
          options.sqs,
          options.queueUrl,
          pending.map(({ Id, ReceiptHandle }) => ({ Id, ReceiptHandle })),
        );
        const succeeded = new Set((out.Successful ?? []).map((s) => s.Id));
        const failures = new Map((out.Failed ?? []).map((f) => [f.Id, f]));
        const retry: typeof pending = [];
        for (const entry of pending) {
          if (succeeded.has(entry.Id)) {
            stats.deleted++;
            continue;
          }
          const failure = failures.get(entry.Id);
          if (failure?.SenderFault) {
            // The request itself is wrong (typically an expired receipt handle): retrying cannot succeed.
            stats.deleteErrors++;
            onError(new Error(`deleting message ${entry.messageId} failed: ${failure.Code}: ${failure.Message ?? ""}`));
            continue;
          }
          // A server fault, or an entry the response did not mention at all.
          lastProblem = failure ? `${failure.Code}: ${failure.Message ?? ""}` : "not in the response";
          retry.push(entry);
        }
        pending = retry;
      } catch (err) {
        lastProblem = err;
      }
      if (pending.length === 0) return;
      if (attempt === DELETE_ATTEMPTS) break;
      await sleep(100 * 2 ** attempt);
    }
    stats.deleteErrors += pending.length;
    const ids = pending.map((p) => p.messageId).join(", ");
    onError(new Error(`deleting messages ${ids} failed after ${DELETE_ATTEMPTS} attempts`, { cause: lastProblem }));
  }

  async function poll(): Promise<void> {
    while (!abort.signal.aborted) {
      if (inFlight.size >= maxConcurrency) {
        // Receiving now would only start the visibility timeout of messages nobody can handle yet.
        await Promise.race(inFlight);
        continue;
      }
      let messages: Message[];
      try {
        messages = await receiveBatch();
      } catch (err) {
        if (abort.signal.aborted) break;
        onError(err);
        await sleep(RECEIVE_RETRY_MS, undefined, { signal: abort.signal }).catch(() => {});
        continue;
      }
      if (messages.length === 0) {
        if (inFlight.size === 0) settleIdle();
        continue;
      }
      const run: Promise<void> = invoke(messages).finally(() => inFlight.delete(run));
      inFlight.add(run);
    }
  }

  function settleIdle(err?: Error): void {
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const waiter of waiters) {
      if (err) waiter.reject(err);
      else waiter.resolve();
    }
  }

  const polling = poll();

  return {
    stats,
    idle() {
      if (stopping) return Promise.reject(new Error("the SQS event source is stopped"));
      return new Promise((resolve, reject) => idleWaiters.push({ resolve, reject }));
    },
    stop() {
      stopping ??= (async () => {
        abort.abort();
        await polling;
        await Promise.all(inFlight);
        settleIdle(new Error("the SQS event source stopped before it was idle"));
      })();
      return stopping;
    },
  };
}

function validate(batchSize: number, windowMs: number, maxConcurrency: number, waitTimeSeconds: number): void {
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_LAMBDA_BATCH) {
    throw new RangeError(`batchSize must be an integer from 1 to ${MAX_LAMBDA_BATCH}, got ${batchSize}`);
  }
  if (batchSize > MAX_RECEIVE_BATCH && windowMs < 1000) {
    throw new RangeError(`batchSize ${batchSize} needs maximumBatchingWindowMs of at least 1000, as in Lambda`);
  }
  if (!(windowMs >= 0 && windowMs <= 300_000)) {
    throw new RangeError(`maximumBatchingWindowMs must be from 0 to 300000, got ${windowMs}`);
  }
  if (!Number.isInteger(maxConcurrency) || maxConcurrency < 1) {
    throw new RangeError(`maxConcurrency must be a positive integer, got ${maxConcurrency}`);
  }
  if (!Number.isInteger(waitTimeSeconds) || waitTimeSeconds < 0 || waitTimeSeconds > 20) {
    throw new RangeError(`waitTimeSeconds must be an integer from 0 to 20, got ${waitTimeSeconds}`);
  }
}

/**
 * The message ids the handler reported as failed. Lambda fails the whole batch when an entry's itemIdentifier
 * is empty, missing or names no message of the batch, or when the response is not the expected shape; a
 * missing response or missing list means every record succeeded.
 */
function failedMessageIds(response: unknown, records: SQSRecord[]): Set<string> {
  const all = new Set(records.map((r) => r.messageId));
  if (response === undefined || response === null) return new Set();
  if (typeof response !== "object") throw new Error(`handler returned ${typeof response}, not a batch response`);
  const failures: unknown = (response as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === undefined || failures === null) return new Set();
  if (!Array.isArray(failures)) throw new Error("handler returned batchItemFailures that is not an array");
  const failed = new Set<string>();
  for (const failure of failures) {
    const id: unknown = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof id !== "string" || !all.has(id)) {
      throw new Error(`handler returned itemIdentifier ${JSON.stringify(id)}, which names no message of the batch`);
    }
    failed.add(id);
  }
  return failed;
}

function toRecord(message: Message, queueArn: string, region: string): SQSRecord {
  const attributes = message.Attributes ?? {};
  const required = (value: string | undefined, name: string): string => {
    if (value === undefined) throw new Error(`ReceiveMessage returned message ${message.MessageId} without ${name}`);
    return value;
  };
  return {
    messageId: required(message.MessageId, "MessageId"),
    receiptHandle: required(message.ReceiptHandle, "ReceiptHandle"),
    body: required(message.Body, "Body"),
    attributes: {
      ApproximateReceiveCount: required(attributes.ApproximateReceiveCount, "ApproximateReceiveCount"),
      SentTimestamp: required(attributes.SentTimestamp, "SentTimestamp"),
      SenderId: required(attributes.SenderId, "SenderId"),
      ApproximateFirstReceiveTimestamp: required(
        attributes.ApproximateFirstReceiveTimestamp,
        "ApproximateFirstReceiveTimestamp",
      ),
      // FIFO and tracing attributes (MessageGroupId, SequenceNumber, AWSTraceHeader…) pass through as Lambda does.
      ...attributes,
    },
    messageAttributes: Object.fromEntries(
      Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [name, toLambdaAttribute(value, name)]),
    ),
    md5OfBody: required(message.MD5OfBody, "MD5OfBody"),
    ...(message.MD5OfMessageAttributes ? { md5OfMessageAttributes: message.MD5OfMessageAttributes } : {}),
    eventSource: "aws:sqs",
    eventSourceARN: queueArn,
    awsRegion: region,
  };
}

// Lambda's camelCase shape: binary values as base64, and both list fields always present.
function toLambdaAttribute(value: MessageAttributeValue, name: string): SQSMessageAttribute {
  if (value.DataType === undefined) throw new Error(`message attribute ${name} has no DataType`);
  const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");
  return {
    ...(value.StringValue !== undefined ? { stringValue: value.StringValue } : {}),
    ...(value.BinaryValue !== undefined ? { binaryValue: base64(value.BinaryValue) } : {}),
    stringListValues: value.StringListValues ?? [],
    binaryListValues: (value.BinaryListValues ?? []).map(base64),
    dataType: value.DataType,
  };
}

function payloadBytes(messages: Message[]): number {
  return messages.reduce((sum, m) => sum + Buffer.byteLength(m.Body ?? ""), 0);
}
