// The watchdog: a small scheduled function that reads when the agent last finished a run and publishes the
// silence as a metric, with an alarm when it exceeds `agent.noRunAlarmMinutes`. Nothing else notices an
// agent that stopped running: a run that never starts fails nothing.
import { Duration } from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import * as events from "aws-cdk-lib/aws-events";
import * as targets from "aws-cdk-lib/aws-events-targets";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as nodejs from "aws-cdk-lib/aws-lambda-nodejs";
import { Construct } from "constructs";
import type { WatchdogVariables } from "../core/contracts/watchdog-environment.ts";
import { handlerDimensions, METRICS_NAMESPACE, SERVICES, WATCHDOG_METRICS } from "../core/metric-names.ts";
import type { EnvironmentConfig } from "./environment-config.ts";
import type { Storage } from "./storage.ts";
import { createStepFunctions } from "./workflow-functions.ts";

/** How often the watchdog looks. */
export const WATCH_EVERY_MINUTES = 15;

export class Watchdog extends Construct {
  readonly function: nodejs.NodejsFunction;
  readonly alarms: cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, env: EnvironmentConfig, storage: Storage) {
    super(scope, id);
    this.function = createStepFunctions(this, {
      entry: "lambdas/watchdog/index.ts",
      service: SERVICES.watchdog,
      environment: { INDEX_TABLE: storage.table.tableName, SITESYNC_ENVIRONMENT: env.name } satisfies WatchdogVariables,
      description: `sitesync ${env.name}: watchdog`,
      steps: {
        watch: {
          statements: [
            new iam.PolicyStatement({
              sid: "ReadLastRuns",
              actions: ["dynamodb:Query"],
              resources: [storage.table.tableArn],
            }),
          ],
          timeout: Duration.minutes(1),
        },
      },
    }).watch;
    new events.Rule(this, "Schedule", {
      description: "sitesync watchdog: how long since the agent last finished a run",
      schedule: events.Schedule.rate(Duration.minutes(WATCH_EVERY_MINUTES)),
      targets: [new targets.LambdaFunction(this.function, { retryAttempts: 2 })],
    });
    this.alarms = [
      new cloudwatch.Alarm(this, "NoRecentRun", {
        alarmDescription:
          `The agent has not finished a run for more than ${env.agent.noRunAlarmMinutes} minutes: the host is down, ` +
          "cron stopped, or a run is stuck holding the lock. Nothing is being published.",
        metric: new cloudwatch.Metric({
          namespace: METRICS_NAMESPACE,
          metricName: WATCHDOG_METRICS.minutesSinceLastRun.name,
          dimensionsMap: handlerDimensions(SERVICES.watchdog, env.name),
          period: Duration.minutes(WATCH_EVERY_MINUTES),
          statistic: "Maximum",
        }),
        threshold: env.agent.noRunAlarmMinutes,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      new cloudwatch.Alarm(this, "WatchdogFailing", {
        alarmDescription: "The watchdog itself fails, so a silent agent would go unnoticed.",
        metric: this.function.metricErrors({ period: Duration.minutes(WATCH_EVERY_MINUTES), statistic: "Sum" }),
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 2,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    ];
  }
}
