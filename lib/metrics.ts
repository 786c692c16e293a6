// The product's own metrics as CloudWatch reads them back, for the dashboard and the alarms: the very
// namespace, names and dimensions the handlers and the agent emit (core/metric-names.ts).
import { Duration } from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import {
  AGENT_DIMENSIONS,
  handlerDimensions,
  METRICS_NAMESPACE,
  type MetricSpec,
  type Service,
} from "../core/metric-names.ts";

export interface MetricOptions {
  statistic?: string;
  period?: Duration;
  label?: string;
}

const metric = (spec: MetricSpec, dimensions: Record<string, string>, options: MetricOptions) =>
  new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName: spec.name,
    dimensionsMap: dimensions,
    statistic: options.statistic ?? "Sum",
    period: options.period ?? Duration.minutes(5),
    ...(options.label ? { label: options.label } : {}),
  });

/** A function's metric in the environment `environment`. */
export const handlerMetric = (service: Service, environment: string, spec: MetricSpec, options: MetricOptions = {}) =>
  metric(spec, handlerDimensions(service, environment), options);

/** One of the agent's run figures. */
export const agentMetric = (spec: MetricSpec, options: MetricOptions = {}) => metric(spec, AGENT_DIMENSIONS, options);
