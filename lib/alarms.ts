// Alarms a person must see, to one topic: a manifest in the dead-letter queue, manifests waiting too long,
// files published late or failing to apply, any failed workflow execution, and the alarms of other parts
// (the watchdog's silent agent).
import { Duration } from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import * as actions from "aws-cdk-lib/aws-cloudwatch-actions";
import * as sns from "aws-cdk-lib/aws-sns";
import * as subscriptions from "aws-cdk-lib/aws-sns-subscriptions";
import type * as sfn from "aws-cdk-lib/aws-stepfunctions";
import { Construct } from "constructs";
import { APPLY_METRICS, SERVICES } from "../core/metric-names.ts";
import type { ManifestQueue } from "./manifest-queue.ts";
import { handlerMetric } from "./metrics.ts";
import { acknowledge } from "./nag.ts";

/** Manifests older than this mean the apply function is failing or starved. */
export const OLDEST_MESSAGE_ALARM_SECONDS = 900;

/**
 * The longest a manifest may take from the agent's send to its files being published, in two periods
 * running. The site is promised within minutes of a change, and the agent's cron already takes some of
 * them: ten minutes in the pipeline alone means people see old pages. A normal apply takes seconds.
 */
export const APPLY_LAG_ALARM_SECONDS = 600;

/**
 * Five-minute periods in a row with failed entries before the alarm: a throttle or a race fails a delivery
 * now and then and the next delivery applies it; failures that last this long will not go away by themselves.
 */
export const FAILED_FILES_ALARM_PERIODS = 3;

export class Alarms extends Construct {
  readonly topic: sns.Topic;
  /** Every alarm sent to the topic, for the dashboard's status widget. */
  readonly alarms: cloudwatch.Alarm[];

  constructor(
    scope: Construct,
    id: string,
    environment: string,
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
      new cloudwatch.Alarm(this, "ApplyLag", {
        alarmDescription:
          `Files reached the site more than ${APPLY_LAG_ALARM_SECONDS} s after the agent sent them, for 10 minutes: ` +
          "visitors see old pages. Look at the dashboard's queue depth and the apply function's errors and " +
          "throttles; raise the apply settings' maxConcurrency if the queue is deep and nothing fails.",
        metric: handlerMetric(SERVICES.apply, environment, APPLY_METRICS.lag, {
          statistic: "Maximum",
          period: Duration.minutes(5),
        }),
        threshold: APPLY_LAG_ALARM_SECONDS,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 2,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      new cloudwatch.Alarm(this, "FailedFiles", {
        alarmDescription:
          `Files failed to apply in each of ${FAILED_FILES_ALARM_PERIODS} five-minute periods: they are not ` +
          'published. The apply function\'s log names each key and why (search for "manifest failed"); once ' +
          "the cause is fixed SQS delivers them again, and what reached the dead-letter queue goes back " +
          "with `sitesync redrive`.",
        metric: handlerMetric(SERVICES.apply, environment, APPLY_METRICS.failed, {
          statistic: "Sum",
          period: Duration.minutes(5),
        }),
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: FAILED_FILES_ALARM_PERIODS,
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
    this.alarms = [...alarms, ...others];
    for (const alarm of this.alarms) alarm.addAlarmAction(notify);
  }
}
