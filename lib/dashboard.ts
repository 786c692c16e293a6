// One CloudWatch dashboard per environment: what the pipeline publishes and how late, what waits in the
// queues, how the workflows end, what CloudFront is asked to invalidate, the agent's runs, and the alarms.
import { Duration } from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import type * as sfn from "aws-cdk-lib/aws-stepfunctions";
import { Construct } from "constructs";
import { AGENT_METRICS, APPLY_METRICS, POST_SYNC_METRICS, SERVICES } from "../core/metric-names.ts";
import type { EnvironmentConfig } from "./environment-config.ts";
import type { ManifestQueue } from "./manifest-queue.ts";
import { agentMetric, handlerMetric } from "./metrics.ts";

const PERIOD = Duration.minutes(5);
const WIDE = 12;
const HEIGHT = 6;

export class Dashboard extends Construct {
  readonly dashboard: cloudwatch.Dashboard;

  constructor(
    scope: Construct,
    id: string,
    env: EnvironmentConfig,
    queue: ManifestQueue,
    workflows: { postSync: sfn.StateMachine; restore: sfn.StateMachine },
    alarms: cloudwatch.IAlarm[],
  ) {
    super(scope, id);
    const apply = (spec: (typeof APPLY_METRICS)[keyof typeof APPLY_METRICS], label: string, statistic = "Sum") =>
      handlerMetric(SERVICES.apply, env.name, spec, { statistic, label, period: PERIOD });
    const graph = (title: string, left: cloudwatch.IMetric[], right: cloudwatch.IMetric[] = []) =>
      new cloudwatch.GraphWidget({ title, left, right, width: WIDE, height: HEIGHT, period: PERIOD });
    const executions = (name: string, machine: sfn.StateMachine) => {
      // The ids of a graph's expressions share one namespace (and start lower case): each workflow's its own.
      const id = name.toLowerCase();
      return [
        machine.metricSucceeded({ statistic: "Sum", period: PERIOD, label: `${name} succeeded` }),
        new cloudwatch.MathExpression({
          expression: `${id}Failed + ${id}TimedOut + ${id}Aborted`,
          usingMetrics: {
            [`${id}Failed`]: machine.metricFailed({ statistic: "Sum", period: PERIOD }),
            [`${id}TimedOut`]: machine.metricTimedOut({ statistic: "Sum", period: PERIOD }),
            [`${id}Aborted`]: machine.metricAborted({ statistic: "Sum", period: PERIOD }),
          },
          label: `${name} failed, timed out or aborted`,
          period: PERIOD,
        }),
      ];
    };

    this.dashboard = new cloudwatch.Dashboard(this, "Dashboard", {
      dashboardName: `sitesync-${env.name}`,
      defaultInterval: Duration.days(1),
    });
    this.dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({ title: "Alarms", alarms, width: 2 * WIDE, height: 3 }),
    );
    this.dashboard.addWidgets(
      graph("Files applied", [
        apply(APPLY_METRICS.published, "published"),
        apply(APPLY_METRICS.deleted, "deleted"),
        apply(APPLY_METRICS.stale, "stale (a newer version came first)"),
        apply(APPLY_METRICS.failed, "failed"),
      ]),
      graph("Apply lag, agent send to published (seconds)", [
        apply(APPLY_METRICS.lag, "p50", "p50"),
        apply(APPLY_METRICS.lag, "p99", "p99"),
        apply(APPLY_METRICS.lag, "max", "Maximum"),
      ]),
    );
    this.dashboard.addWidgets(
      graph(
        "Manifest queue",
        [
          queue.queue.metricApproximateNumberOfMessagesVisible({
            statistic: "Maximum",
            period: PERIOD,
            label: "depth",
          }),
        ],
        [
          queue.queue.metricApproximateAgeOfOldestMessage({
            statistic: "Maximum",
            period: PERIOD,
            label: "age of oldest (s)",
          }),
        ],
      ),
      graph("Dead letters", [
        queue.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
          statistic: "Maximum",
          period: PERIOD,
          label: "manifests in the dead-letter queue",
        }),
      ]),
    );
    this.dashboard.addWidgets(
      graph("PostSync and Restore executions", [
        ...executions("PostSync", workflows.postSync),
        ...executions("Restore", workflows.restore),
      ]),
      graph("Invalidation paths sent to CloudFront", [
        handlerMetric(SERVICES.postSync, env.name, POST_SYNC_METRICS.invalidationPaths, {
          period: PERIOD,
          label: "paths",
        }),
      ]),
    );
    const agent = (spec: (typeof AGENT_METRICS)[keyof typeof AGENT_METRICS], label: string, statistic = "Maximum") =>
      agentMetric(spec, { statistic, label, period: PERIOD });
    this.dashboard.addWidgets(
      graph("Agent runs: seconds", [
        agent(AGENT_METRICS.scanSeconds, "scan"),
        agent(AGENT_METRICS.runSeconds, "whole run"),
      ]),
      graph(
        "Agent runs: files, changes, manifests and bytes staged",
        [
          agent(AGENT_METRICS.filesScanned, "files scanned"),
          agent(AGENT_METRICS.changes, "changes", "Sum"),
          agent(AGENT_METRICS.manifestsSent, "manifests sent", "Sum"),
        ],
        [agent(AGENT_METRICS.bytesStaged, "bytes staged", "Sum")],
      ),
    );
  }
}
