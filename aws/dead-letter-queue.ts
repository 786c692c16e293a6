// Parks a message in a dead-letter queue at once, with attributes saying why: for a message that can never
// succeed, which SQS's own redrive would otherwise park only after maxReceiveCount deliveries.
import { SendMessageCommand, type MessageAttributeValue, type SQSClient } from "@aws-sdk/client-sqs";

/** SQS's limit of message attributes per message. */
const MAX_ATTRIBUTES = 10;

export interface ParkedMessage {
  body: string;
  /** The message's own attributes, kept so that a redrive sends it back as it came. */
  attributes: Record<string, MessageAttributeValue>;
  /** Why it is parked, as string attributes beside the body (they win over its own of the same name). */
  reason: Record<string, string>;
}

/** Sends the message; resolves with the names of its own attributes that did not fit beside the reason. */
export async function parkMessage(sqs: SQSClient, queueUrl: string, message: ParkedMessage): Promise<string[]> {
  const reason = Object.entries(message.reason).map(([name, value]): [string, MessageAttributeValue] => [
    name,
    { DataType: "String", StringValue: value },
  ]);
  const own = Object.entries(message.attributes).filter(([name]) => !(name in message.reason));
  const kept = own.slice(0, MAX_ATTRIBUTES - reason.length);
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: queueUrl,
      MessageBody: message.body,
      MessageAttributes: Object.fromEntries([...kept, ...reason]),
    }),
  );
  return own.slice(kept.length).map(([name]) => name);
}
