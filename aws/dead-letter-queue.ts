// Parks a message in a dead-letter queue at once, with attributes saying why: for a message that can never
// succeed, which SQS's own redrive would otherwise park only after maxReceiveCount deliveries. Sent through
// the one queue sender (aws/queue.ts), so a server fault is retried and a refusal is permanent.
import type { SQSClient } from "@aws-sdk/client-sqs";
import { sendMessages } from "./queue.ts";

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
