// Lambda entry of the watchdog (an EventBridge schedule): read the agents' last runs, publish the longest
// silence as the MinutesSinceLastRun metric in CloudWatch embedded metric format.
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { createDynamoDbClient } from "../../aws/clients.ts";
import { requiredEnv } from "../environment.ts";
import { watchAgents, type WatchResult } from "./watch.ts";

export const METRICS_NAMESPACE = "sitesync";

let deps: Parameters<typeof watchAgents>[0] | undefined;

export async function watch(): Promise<WatchResult> {
  deps ??= { dynamodb: createDynamoDbClient({ region: requiredEnv("AWS_REGION") }), table: requiredEnv("INDEX_TABLE") };
  const result = await watchAgents(deps);
  publishSilence(result, requiredEnv("SITESYNC_ENVIRONMENT"));
  return result;
}

/** Writes the metric line (nothing when no agent ever finished a run: a new deployment is not an alarm). */
export function publishSilence(result: WatchResult, environment: string): void {
  if (result.minutesSinceLastRun === undefined) return;
  const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: "watchdog" });
  metrics.addDimension("Environment", environment);
  metrics.addMetric("MinutesSinceLastRun", MetricUnit.Count, result.minutesSinceLastRun);
  metrics.publishStoredMetrics();
}
