// Lambda entry of the watchdog (an EventBridge schedule), through the one entry wrapper: read the agents'
// last runs, publish the longest silence as the MinutesSinceLastRun metric in CloudWatch embedded metric
// format.
import { createDynamoDbClient } from "../../aws/clients.ts";
import { watchdogEnvironment } from "../../core/contracts/watchdog-environment.ts";
import { SERVICES, WATCHDOG_METRICS } from "../../core/metric-names.ts";
import { lambdaEntry } from "../entry.ts";
import { metricsPublisher } from "../metrics.ts";
import { watchAgents, type WatchResult } from "./watch.ts";

const entry = lambdaEntry({
  service: SERVICES.watchdog,
  environment: watchdogEnvironment,
  build: (env) => ({
    dynamodb: createDynamoDbClient({ region: env.AWS_REGION }),
    table: env.INDEX_TABLE,
    environment: env.SITESYNC_ENVIRONMENT,
  }),
});

// The scheduled event carries nothing the watchdog needs.
export const watch = entry.event<unknown, WatchResult>(async (_event, deps) => {
  const result = await watchAgents(deps);
  publishSilence(result, deps.environment);
  return result;
});

/** Writes the metric line (nothing when no agent ever finished a run: a new deployment is not an alarm). */
export function publishSilence(result: WatchResult, environment: string): void {
  if (result.minutesSinceLastRun === undefined) return;
  metricsPublisher({ service: SERVICES.watchdog, environment }).publish([
    [WATCHDOG_METRICS.minutesSinceLastRun, result.minutesSinceLastRun],
  ]);
}
