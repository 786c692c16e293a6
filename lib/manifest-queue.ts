// The manifest queue between the agent and the apply function, and its dead-letter queue.
import { Duration } from "aws-cdk-lib";
import * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import type { EnvironmentConfig } from "./environment-config.ts";
import { acknowledge } from "./nag.ts";

/**
 * AWS's guidance for an SQS event source: a visibility timeout of at least six times the function's
 * timeout, so a batch that waits for a throttled invocation is not redelivered while still in work.
 */
export const VISIBILITY_TIMEOUT_FACTOR = 6;

export class ManifestQueue extends Construct {
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, env: EnvironmentConfig) {
    super(scope, id);
    this.deadLetterQueue = new sqs.Queue(this, "DeadLetters", {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledge(
      this.deadLetterQueue,
      "AwsSolutions-SQS3",
      "This is the dead-letter queue; a DLQ of the DLQ would hide poison messages from the alarm.",
    );
    this.queue = new sqs.Queue(this, "Manifests", {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(env.apply.timeoutSeconds * VISIBILITY_TIMEOUT_FACTOR),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: env.apply.maxReceiveCount },
    });
  }
}
