// What every queue does, for the manifest queue, the restore queue and the local event source: send in
// batches with every failed entry retried, receive, delete, and give a message back. SQS answers a batch
// call per entry, so every entry's outcome is checked: a server fault is retried with backoff, a sender
// fault (a message SQS will never accept) is permanent.
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type DeleteMessageBatchCommandOutput,
  type Message,
  type MessageAttributeValue,
  type QueueAttributeName,
  type SendMessageBatchRequestEntry,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { mapLimit } from "../core/concurrency.ts";
import { PermanentError } from "../core/errors.ts";
import { SQS_MAX_BYTES } from "../core/manifest.ts";
import { drainWithBackoff } from "./backoff.ts";

export interface OutgoingMessage {
  body: string;
  /** Message attributes: a string is a String attribute; a dead-lettered message's go back as they came. */
  attributes?: Record<string, string | MessageAttributeValue>;
}

/** SQS takes at most ten messages in one SendMessageBatch. */
const MAX_BATCH = 10;
/** Room per message for its attributes and the request's framing, counted against SQS_MAX_BYTES. */
const MESSAGE_OVERHEAD_BYTES = 200;
const BATCHES_IN_FLIGHT = 8;

/**
 * Sends `messages` with SendMessageBatch, as few calls as the limits allow; resolves once SQS holds every
 * one. `describe(i)` names message i in the error when SQS refuses it.
 */
export async function sendMessages(
  sqs: SQSClient,
  queueUrl: string,
  messages: OutgoingMessage[],
  describe: (index: number) => string,
): Promise<void> {
  const [refused] = await sendMessagesSettled(sqs, queueUrl, messages);
  if (refused) throw new PermanentError(`SQS refused ${describe(refused.index)}: ${refused.reason}`);
}

export interface RefusedMessage {
  index: number;
  reason: string;
}

/**
 * Sends `messages` as sendMessages does, but a message SQS refuses (a sender fault: it never will accept
 * it) does not stop the others: resolves with the refused ones once SQS holds all the rest.
 */
export async function sendMessagesSettled(
  sqs: SQSClient,
  queueUrl: string,
  messages: OutgoingMessage[],
): Promise<RefusedMessage[]> {
  const refused: RefusedMessage[] = [];
  await mapLimit(batches(messages), BATCHES_IN_FLIGHT, (batch) =>
    drainWithBackoff(
      batch,
      async (pending) => {
        const res = await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: pending }));
        const settled = new Set((res.Successful ?? []).map((s) => s.Id));
        for (const f of res.Failed ?? []) {
          if (!f.SenderFault) continue;
          refused.push({ index: Number(f.Id), reason: `${f.Code} ${f.Message ?? ""}`.trim() });
          settled.add(f.Id);
        }
        // An entry the response names as neither sent nor refused is sent again: SQS must have it.
        return pending.filter((entry) => !settled.has(entry.Id));
      },
      `SendMessageBatch to ${queueUrl}`,
    ),
  );
  return refused.sort((a, b) => a.index - b.index);
}

function batches(messages: OutgoingMessage[]): SendMessageBatchRequestEntry[][] {
  const out: SendMessageBatchRequestEntry[][] = [];
  let batch: SendMessageBatchRequestEntry[] = [];
  let bytes = 0;
  messages.forEach((message, i) => {
    const size = Buffer.byteLength(message.body, "utf8") + MESSAGE_OVERHEAD_BYTES;
    if (batch.length === MAX_BATCH || (batch.length > 0 && bytes + size > SQS_MAX_BYTES)) {
      out.push(batch);
      batch = [];
      bytes = 0;
    }
    const attributes = Object.entries(message.attributes ?? {});
    batch.push({
      Id: String(i),
      MessageBody: message.body,
      ...(attributes.length > 0
        ? {
            MessageAttributes: Object.fromEntries(
              attributes.map(([name, value]) => [
                name,
                typeof value === "string" ? { DataType: "String", StringValue: value } : value,
              ]),
            ),
          }
        : {}),
    });
    bytes += size;
  });
  if (batch.length > 0) out.push(batch);
  return out;
}

export interface ReceiveOptions {
  /** 1 to 10. */
  max: number;
  /** Long-poll wait, 0 to 20. */
  waitSeconds: number;
  /** How long the messages stay invisible to others; the queue's own setting when absent. */
  visibilitySeconds?: number;
  /** Every system and message attribute, as Lambda's event source gets them. */
  allAttributes?: boolean;
  signal?: AbortSignal;
}

export async function receiveMessages(sqs: SQSClient, queueUrl: string, options: ReceiveOptions): Promise<Message[]> {
  const res = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: options.max,
      WaitTimeSeconds: options.waitSeconds,
      ...(options.visibilitySeconds !== undefined ? { VisibilityTimeout: options.visibilitySeconds } : {}),
      ...(options.allAttributes ? { MessageSystemAttributeNames: ["All"], MessageAttributeNames: ["All"] } : {}),
    }),
    options.signal ? { abortSignal: options.signal } : {},
  );
  return res.Messages ?? [];
}

export async function deleteMessage(sqs: SQSClient, queueUrl: string, receipt: string): Promise<void> {
  await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: receipt }));
}

/** One DeleteMessageBatch call; its per-entry outcome (Successful, Failed) is the caller's to check. */
export function deleteMessageBatch(
  sqs: SQSClient,
  queueUrl: string,
  entries: Array<{ Id: string; ReceiptHandle: string | undefined }>,
): Promise<DeleteMessageBatchCommandOutput> {
  return sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }));
}

/** Makes a received message visible again after `seconds` (0: at once). */
export async function setVisibility(sqs: SQSClient, queueUrl: string, receipt: string, seconds: number): Promise<void> {
  await sqs.send(
    new ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle: receipt, VisibilityTimeout: seconds }),
  );
}

export interface QueueDepth {
  /** Messages waiting to be received (ApproximateNumberOfMessages). */
  visible: number;
  /** Messages received and not yet deleted or back (ApproximateNumberOfMessagesNotVisible). */
  inFlight: number;
}

export async function queueDepth(sqs: SQSClient, queueUrl: string): Promise<QueueDepth> {
  const res = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    }),
  );
  const attribute = (name: QueueAttributeName) => Number(res.Attributes?.[name] ?? "0");
  return {
    visible: attribute("ApproximateNumberOfMessages"),
    inFlight: attribute("ApproximateNumberOfMessagesNotVisible"),
  };
}

/**
 * When the oldest of up to ten sampled messages was sent, without taking any: received with a visibility
 * timeout of 0, so they stay visible (only their receive count grows). SQS samples its servers, so on a
 * large queue this is the oldest of the sample, not of the queue: for a queue no consumer polls (a
 * dead-letter queue) only. Undefined when the sample is empty.
 */
export async function sampleOldestSent(sqs: SQSClient, queueUrl: string): Promise<Date | undefined> {
  const res = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: 0,
      VisibilityTimeout: 0,
      MessageSystemAttributeNames: ["SentTimestamp"],
    }),
  );
  const sent = (res.Messages ?? []).map((m) => Number(m.Attributes?.SentTimestamp)).filter(Number.isFinite);
  return sent.length > 0 ? new Date(Math.min(...sent)) : undefined;
}
