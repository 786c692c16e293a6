// Parks a message in a dead-letter queue at once, with attributes saying why: for a message that can never
// succeed, which SQS's own redrive would otherwise park only after maxReceiveCount deliveries. Sent through
// the one queue sender (aws/queue.ts), so a server fault is retried and a refusal is permanent. Redrive
// sends dead-lettered messages back to their queue once their cause is fixed.
import type { SQSClient } from "@aws-sdk/client-sqs";
import { deleteMessageBatch, receiveMessages, sendMessages, sendMessagesSettled } from "./queue.ts";

/** The attributes that say why the apply handler parked a message. */
export const PARKED_ATTRIBUTES = {
  reason: "sitesync-reason",
  error: "sitesync-error",
  sourceMessageId: "sitesync-source-message-id",
  receiveCount: "sitesync-receive-count",
} as const;

/** SQS's limit of message attributes per message. */
const MAX_ATTRIBUTES = 10;

export interface ParkedMessage {
  body: string;
  /** The message's own string attributes, kept so that a redrive sends it back as it came. */
  attributes: Record<string, string>;
  /** Why it is parked, beside the body (these win over its own attributes of the same name). */
  reason: Record<string, string>;
}

/** Sends the message; resolves with the names of its own attributes that did not fit beside the reason. */
export async function parkMessage(sqs: SQSClient, queueUrl: string, message: ParkedMessage): Promise<string[]> {
  const own = Object.entries(message.attributes).filter(([name]) => !(name in message.reason));
  const kept = own.slice(0, MAX_ATTRIBUTES - Object.keys(message.reason).length);
  const attributes = { ...Object.fromEntries(kept), ...message.reason };
  await sendMessages(sqs, queueUrl, [{ body: message.body, attributes }], () => "the parked message");
  return own.slice(kept.length).map(([name]) => name);
}

export interface RedriveResult {
  /** Sent back and deleted from the dead-letter queue. */
  moved: number;
  /** Refused by the target queue: left in the dead-letter queue, visible again after the hold. */
  failed: Array<{ messageId: string; reason: string }>;
  /** Sent back, but the delete failed: still in the dead-letter queue too, so a later redrive sends it again. */
  notDeleted: string[];
  /** Dead-lettered after the redrive began (a redriven message that failed again): left for the next one. */
  arrivedDuring: number;
}

/**
 * Moves the messages of `deadLetterUrl` to `targetUrl`, with their bodies and message attributes, less the
 * reasons parking added (they would mislead if one is parked again). A message is deleted only after the
 * target queue confirmed holding it, so a redrive that dies sends a message twice at worst, never loses
 * it: the apply handler takes a manifest twice as once. Messages are held invisible for `holdSeconds`
 * while they move, which also keeps a refused one from being received again by the same redrive; one
 * dead-lettered after the redrive began is left (held as long), or a cause not fixed would loop forever.
 */
export async function redrive(
  sqs: SQSClient,
  deadLetterUrl: string,
  targetUrl: string,
  holdSeconds = 60,
): Promise<RedriveResult> {
  const began = Date.now();
  const result: RedriveResult = { moved: 0, failed: [], notDeleted: [], arrivedDuring: 0 };
  const seen = new Set<string>();
  const parked = new Set<string>(Object.values(PARKED_ATTRIBUTES));
  for (;;) {
    // A long poll asks every SQS server, so an empty answer means the queue is empty, not an unlucky sample.
    const fresh = (
      await receiveMessages(sqs, deadLetterUrl, {
        max: 10,
        waitSeconds: 1,
        visibilitySeconds: holdSeconds,
        allAttributes: true,
      })
    ).filter((m) => !seen.has(m.MessageId ?? ""));
    const received = fresh.filter((m) => Number(m.Attributes?.SentTimestamp ?? 0) < began);
    result.arrivedDuring += fresh.length - received.length;
    if (received.length === 0) return result;
    for (const m of received) seen.add(m.MessageId ?? "");
    const messages = received.map((m) => ({
      body: m.Body ?? "",
      attributes: Object.fromEntries(Object.entries(m.MessageAttributes ?? {}).filter(([name]) => !parked.has(name))),
    }));
    const refused = await sendMessagesSettled(sqs, targetUrl, messages);
    for (const r of refused) result.failed.push({ messageId: received[r.index]!.MessageId ?? "", reason: r.reason });
    const refusedIndexes = new Set(refused.map((r) => r.index));
    const sent = received.filter((_, i) => !refusedIndexes.has(i));
    if (sent.length === 0) continue;
    const deleted = await deleteMessageBatch(
      sqs,
      deadLetterUrl,
      sent.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
    );
    const confirmed = new Set((deleted.Successful ?? []).map((s) => s.Id));
    sent.forEach((m, i) => {
      if (confirmed.has(String(i))) result.moved++;
      else result.notDeleted.push(m.MessageId ?? "");
    });
  }
}
