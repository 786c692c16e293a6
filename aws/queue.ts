// What every queue does, for the manifest queue, the restore queue and the local event source: send in
// batches with every failed entry retried, receive, delete, and give a message back. SQS answers a batch
// call per entry, so every entry's outcome is checked: a server fault is retried with backoff, a sender
// fault (a message SQS will never accept) is permanent.
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type DeleteMessageBatchCommandOutput,
  type Message,
  type SendMessageBatchRequestEntry,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { mapLimit } from "../core/concurrency.ts";
import { PermanentError } from "../core/errors.ts";
import { SQS_MAX_BYTES } from "../core/manifest.ts";
import { drainWithBackoff } from "./backoff.ts";

export interface OutgoingMessage {
  body: string;
  /** String message attributes. */
  attributes?: Record<string, string>;
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
  await mapLimit(batches(messages), BATCHES_IN_FLIGHT, (batch) =>
    drainWithBackoff(
      batch,
      async (pending) => {
        const res = await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: pending }));
        const failed = res.Failed ?? [];
        const refused = failed.find((f) => f.SenderFault);
        if (refused) {
          throw new PermanentError(
            `SQS refused ${describe(Number(refused.Id))}: ${refused.Code} ${refused.Message ?? ""}`,
          );
        }
        const sent = new Set((res.Successful ?? []).map((s) => s.Id));
        // An entry the response names as neither sent nor failed is sent again: SQS must have it.
        return pending.filter((entry) => !sent.has(entry.Id));
      },
      `SendMessageBatch to ${queueUrl}`,
    ),
  );
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
              attributes.map(([name, value]) => [name, { DataType: "String", StringValue: value }]),
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
