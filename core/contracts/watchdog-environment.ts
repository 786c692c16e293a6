// The watchdog's environment: lib/watchdog.ts writes it, lambdas/watchdog/ reads it once per container.
import * as z from "zod/mini";
import { awsRegion, nonEmpty } from "./fields.ts";

export const watchdogEnvironment = z.object({
  AWS_REGION: awsRegion,
  INDEX_TABLE: nonEmpty("the index table's name"),
  /** The deployment environment's name, the metric's Environment dimension the alarm watches. */
  SITESYNC_ENVIRONMENT: nonEmpty("the deployment environment's name"),
});

export type WatchdogEnvironment = z.output<typeof watchdogEnvironment>;
/** What the deployment sets; Lambda sets AWS_REGION itself. */
export type WatchdogVariables = Omit<z.input<typeof watchdogEnvironment>, "AWS_REGION">;
