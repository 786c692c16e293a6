// The dashboard and the metric alarms as synthesized: each reads the namespace, name and dimensions the
// handlers and the agent emit (core/metric-names.ts), so a widget or an alarm can never watch nothing.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  AGENT_METRICS,
  APPLY_METRICS,
  METRICS_NAMESPACE,
  POST_SYNC_METRICS,
  SERVICES,
} from "../../core/metric-names.ts";
import { APPLY_LAG_ALARM_SECONDS, FAILED_FILES_ALARM_PERIODS } from "../../lib/alarms.ts";
import { environment, resource, synth } from "./support.ts";

const template = synth(environment("prod"));

/** The template's value with Fn::Join flattened and references shown as {LogicalId}. */
function flat(value: unknown): string {
  if (typeof value === "string") return value;
  const v = value as Record<string, any>;
  if (v["Fn::Join"]) return (v["Fn::Join"][1] as unknown[]).map(flat).join(v["Fn::Join"][0]);
  if (v.Ref) return `{${v.Ref}}`;
  if (v["Fn::GetAtt"]) return `{${v["Fn::GetAtt"].join(".")}}`;
  throw new Error(`unexpected token ${JSON.stringify(value)}`);
}

interface Widget {
  type: string;
  properties: { title: string; metrics?: unknown[][]; alarms?: string[] };
}

const dashboard = resource(template, "AWS::CloudWatch::Dashboard", "Dashboard").props;
const widgets = (JSON.parse(flat(dashboard.DashboardBody)) as { widgets: Widget[] }).widgets;

/** A widget's metrics as "namespace/name dimension=value …" (expressions and their hidden inputs left out). */
function metricsOf(title: string): string[] {
  const widget = widgets.find((w) => w.properties.title === title);
  assert.ok(widget, `a widget titled ${JSON.stringify(title)}`);
  return (widget.properties.metrics ?? [])
    .filter((m) => typeof m[0] === "string" && (m.at(-1) as { visible?: boolean }).visible !== false)
    .map((m) => {
      const strings = m.filter((x) => typeof x === "string") as string[];
      const [namespace, name, ...dims] = strings;
      const pairs = [];
      for (let i = 0; i < dims.length; i += 2) pairs.push(`${dims[i]}=${dims[i + 1]}`);
      const stat = (m.at(-1) as { stat?: string }).stat;
      return `${namespace}/${name} ${pairs.sort().join(" ")} ${stat}`;
    });
}

const ns = METRICS_NAMESPACE;
const apply = `Environment=prod service=${SERVICES.apply}`;

describe("dashboard", () => {
  test("named for the environment, one widget per concern, in order", () => {
    assert.equal(dashboard.DashboardName, "sitesync-prod");
    assert.deepEqual(
      widgets.map((w) => w.properties.title),
      [
        "Alarms",
        "Files applied",
        "Apply lag, agent send to published (seconds)",
        "Manifest queue",
        "Dead letters",
        "PostSync and Restore executions",
        "Invalidation paths sent to CloudFront",
        "Agent runs: seconds",
        "Agent runs: files, changes, manifests and bytes staged",
      ],
    );
  });

  test("files applied and the apply lag read the apply function's metrics", () => {
    assert.deepEqual(metricsOf("Files applied"), [
      `${ns}/${APPLY_METRICS.published.name} ${apply} Sum`,
      `${ns}/${APPLY_METRICS.deleted.name} ${apply} Sum`,
      `${ns}/${APPLY_METRICS.stale.name} ${apply} Sum`,
      `${ns}/${APPLY_METRICS.failed.name} ${apply} Sum`,
    ]);
    assert.deepEqual(metricsOf("Apply lag, agent send to published (seconds)"), [
      `${ns}/ApplyLag ${apply} p50`,
      `${ns}/ApplyLag ${apply} p99`,
      `${ns}/ApplyLag ${apply} Maximum`,
    ]);
  });

  test("the queues: depth and age of the oldest manifest, dead letters", () => {
    assert.deepEqual(metricsOf("Manifest queue"), [
      "AWS/SQS/ApproximateNumberOfMessagesVisible QueueName={QueueManifests2A91A4BD.QueueName} Maximum",
      "AWS/SQS/ApproximateAgeOfOldestMessage QueueName={QueueManifests2A91A4BD.QueueName} Maximum",
    ]);
    assert.deepEqual(metricsOf("Dead letters"), [
      "AWS/SQS/ApproximateNumberOfMessagesVisible QueueName={QueueDeadLetters9B423CAD.QueueName} Maximum",
    ]);
  });

  test("the workflows: succeeded, and failed + timed out + aborted, for PostSync and Restore", () => {
    const widget = widgets.find((w) => w.properties.title === "PostSync and Restore executions")!;
    const text = JSON.stringify(widget.properties.metrics);
    for (const machine of ["WorkflowsPostSyncStateMachine", "WorkflowsRestoreStateMachine"]) {
      for (const name of ["ExecutionsSucceeded", "ExecutionsFailed", "ExecutionsTimedOut", "ExecutionsAborted"]) {
        assert.match(text, new RegExp(`"AWS/States","${name}","StateMachineArn","\\{${machine}[0-9A-F]+\\}"`));
      }
    }
    assert.match(text, /"expression":"postsyncFailed \+ postsyncTimedOut \+ postsyncAborted"/);
    assert.match(text, /"expression":"restoreFailed \+ restoreTimedOut \+ restoreAborted"/);
  });

  test("invalidation paths and the agent's run figures", () => {
    assert.deepEqual(metricsOf("Invalidation paths sent to CloudFront"), [
      `${ns}/${POST_SYNC_METRICS.invalidationPaths.name} Environment=prod service=${SERVICES.postSync} Sum`,
    ]);
    const agent = `service=${SERVICES.agent}`;
    assert.deepEqual(metricsOf("Agent runs: seconds"), [
      `${ns}/${AGENT_METRICS.scanSeconds.name} ${agent} Maximum`,
      `${ns}/${AGENT_METRICS.runSeconds.name} ${agent} Maximum`,
    ]);
    assert.deepEqual(metricsOf("Agent runs: files, changes, manifests and bytes staged"), [
      `${ns}/${AGENT_METRICS.filesScanned.name} ${agent} Maximum`,
      `${ns}/${AGENT_METRICS.changes.name} ${agent} Sum`,
      `${ns}/${AGENT_METRICS.manifestsSent.name} ${agent} Sum`,
      `${ns}/${AGENT_METRICS.bytesStaged.name} ${agent} Sum`,
    ]);
  });

  test("the alarm widget shows every alarm of the stack", () => {
    const alarms = Object.keys(template.findResources("AWS::CloudWatch::Alarm")).map((id) => `{${id}.Arn}`);
    const shown = widgets.find((w) => w.properties.title === "Alarms")!.properties.alarms!;
    assert.deepEqual([...shown].sort(), alarms.sort());
  });
});

describe("metric alarms", () => {
  test("apply lag: the apply function's ApplyLag maximum above the threshold in two 5-minute periods", () => {
    const alarm = resource(template, "AWS::CloudWatch::Alarm", "AlarmsApplyLag").props;
    assert.equal(alarm.Namespace, ns);
    assert.equal(alarm.MetricName, APPLY_METRICS.lag.name);
    assert.deepEqual(alarm.Dimensions, [
      { Name: "Environment", Value: "prod" },
      { Name: "service", Value: "apply" },
    ]);
    assert.equal(alarm.Statistic, "Maximum");
    assert.equal(alarm.Period, 300);
    assert.equal(alarm.Threshold, APPLY_LAG_ALARM_SECONDS);
    assert.equal(APPLY_LAG_ALARM_SECONDS, 600);
    assert.equal(alarm.EvaluationPeriods, 2);
    assert.equal(alarm.ComparisonOperator, "GreaterThanThreshold");
    assert.equal(alarm.TreatMissingData, "notBreaching");
    assert.match(alarm.AlarmDescription, /600 s after the agent sent them.*maxConcurrency/);
  });

  test("failed files: any FilesFailed in each of N 5-minute periods", () => {
    const alarm = resource(template, "AWS::CloudWatch::Alarm", "AlarmsFailedFiles").props;
    assert.equal(alarm.Namespace, ns);
    assert.equal(alarm.MetricName, APPLY_METRICS.failed.name);
    assert.deepEqual(alarm.Dimensions, [
      { Name: "Environment", Value: "prod" },
      { Name: "service", Value: "apply" },
    ]);
    assert.equal(alarm.Statistic, "Sum");
    assert.equal(alarm.Period, 300);
    assert.equal(alarm.Threshold, 0);
    assert.equal(alarm.EvaluationPeriods, FAILED_FILES_ALARM_PERIODS);
    assert.equal(FAILED_FILES_ALARM_PERIODS, 3);
    assert.equal(alarm.TreatMissingData, "notBreaching");
    assert.match(alarm.AlarmDescription, /not published.*sitesync redrive/);
  });

  test("the functions name Powertools' namespace and service, and their environment", () => {
    const fns = template.findResources("AWS::Lambda::Function");
    const vars = (prefix: string) =>
      Object.entries(fns).find(([id]) => id.startsWith(prefix))![1].Properties.Environment.Variables;
    for (const [prefix, service] of [
      ["ApplyFunction", "apply"],
      ["WorkflowsPostSyncInvalidate", "post-sync"],
      ["WorkflowsRestoreStart", "restore"],
      ["WatchdogWatch", "watchdog"],
    ]) {
      const v = vars(prefix!);
      assert.equal(v.POWERTOOLS_METRICS_NAMESPACE, ns, prefix);
      assert.equal(v.POWERTOOLS_SERVICE_NAME, service, prefix);
    }
    assert.equal(vars("ApplyFunction").SITESYNC_ENVIRONMENT, "prod");
    assert.equal(vars("WorkflowsPostSyncInvalidate").SITESYNC_ENVIRONMENT, "prod");
  });
});
