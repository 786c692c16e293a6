// Alarms a person must see, to one topic: a manifest in the dead-letter queue, manifests waiting too long,
// any failed workflow execution, and the alarms of other parts (the watchdog's silent agent).
import { Duration } from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import * as actions from "aws-cdk-lib/aws-cloudwatch-actions";
import * as sns from "aws-cdk-lib/aws-sns";
import * as subscriptions from "aws-cdk-lib/aws-sns-subscriptions";
import type * as sfn from "aws-cdk-lib/aws-stepfunctions";
import { Construct } from "constructs";
import type { ManifestQueue } from "./manifest-queue.ts";
import { acknowledge } from "./nag.ts";

/** Manifests older than this mean the apply function is failing or starved. */
export const OLDEST_MESSAGE_ALARM_SECONDS = 900;

export class Alarms extends Construct {
  readonly topic: sns.Topic;

  constructor(
    scope: Construct,
    id: string,
    queue: ManifestQueue,
    workflows: sfn.StateMachine[],
    others: cloudwatch.Alarm[],
    email?: string,
  ) {
    super(scope, id);
    this.topic = new sns.Topic(this, "Topic", { displayName: "sitesync alarms", enforceSSL: true });
    acknowledge(
      this.topic,
      "AwsSolutions-SNS2",
      "Alarm notifications carry no site data; CloudWatch cannot publish to a topic under the AWS-managed key, " +
        "and a customer key would cost more than it protects.",
    );
    if (email) this.topic.addSubscription(new subscriptions.EmailSubscription(email));
    const notify = new actions.SnsAction(this.topic);

    const alarms = [
      new cloudwatch.Alarm(this, "DeadLetters", {
        alarmDescription:
          "A manifest failed every delivery and sits in the dead-letter queue: its files are not published.",
        metric: queue.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
          period: Duration.minutes(1),
          statistic: "Maximum",
        }),
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      new cloudwatch.Alarm(this, "OldestManifest", {
        alarmDescription:
          `A manifest has waited more than ${OLDEST_MESSAGE_ALARM_SECONDS} s: ` +
          "the apply function is failing or starved.",
        metric: queue.queue.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(1), statistic: "Maximum" }),
        threshold: OLDEST_MESSAGE_ALARM_SECONDS,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 3,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      ...workflows.map(
        (workflow) =>
          new cloudwatch.Alarm(this, `${workflow.node.scope!.node.id}Failed`, {
            alarmDescription: `A ${workflow.node.scope!.node.id} execution failed, timed out or was aborted.`,
            metric: new cloudwatch.MathExpression({
              expression: "failed + timedOut + aborted",
              usingMetrics: {
                failed: workflow.metricFailed({ statistic: "Sum" }),
                timedOut: workflow.metricTimedOut({ statistic: "Sum" }),
                aborted: workflow.metricAborted({ statistic: "Sum" }),
              },
              period: Duration.minutes(5),
            }),
            threshold: 0,
            comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluationPeriods: 1,
            treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
          }),
      ),
    ];
    for (const alarm of [...alarms, ...others]) alarm.addAlarmAction(notify);
  }
}
