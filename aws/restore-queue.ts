// The restore queue: the Restore workflow puts a host restore's plan on it (core/host-plan.ts), and the
// agent's `sitesync restore --from-queue` takes it off. A message the agent holds stays invisible for
// PLAN_VISIBILITY_SECONDS, long enough to apply one part of a plan.
import type { Message, SQSClient } from "@aws-sdk/client-sqs";
import { deleteMessage, receiveMessages, sendMessages, setVisibility } from "./queue.ts";

const PLAN_VISIBILITY_SECONDS = 600;

export async function sendPlanMessages(
  sqs: SQSClient,
  queueUrl: string,
  restoreId: string,
  bodies: string[],
): Promise<void> {
  await sendMessages(
    sqs,
    queueUrl,
    bodies.map((body) => ({ body })),
    (i) => `plan message ${i} of restore ${restoreId}`,
  );
}

/** Up to ten plan messages, waiting a second for them. */
export function receivePlanMessages(sqs: SQSClient, queueUrl: string): Promise<Message[]> {
  return receiveMessages(sqs, queueUrl, { max: 10, waitSeconds: 1, visibilitySeconds: PLAN_VISIBILITY_SECONDS });
}

/** Takes an applied plan message off the queue. */
export function deletePlanMessage(sqs: SQSClient, queueUrl: string, receipt: string): Promise<void> {
  return deleteMessage(sqs, queueUrl, receipt);
}

/** Puts a held plan message back on the queue at once, for the next run. */
export function returnPlanMessage(sqs: SQSClient, queueUrl: string, receipt: string): Promise<void> {
  return setVisibility(sqs, queueUrl, receipt, 0);
}
