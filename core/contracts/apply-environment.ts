// The apply function's environment: lib/apply-function.ts writes it, lambdas/apply/ reads it once per
// container, and the local stack builds the same handler from the same variables of the template.
import * as z from "zod/mini";
import { awsRegion, nonEmpty, publishRulesVariable } from "./fields.ts";

export const applyEnvironment = z.object({
  AWS_REGION: awsRegion,
  SITE_BUCKET: nonEmpty("the site bucket's name"),
  VERSION_BUCKET: nonEmpty("the version store bucket's name"),
  INDEX_TABLE: nonEmpty("the index table's name"),
  PUBLISH_RULES: publishRulesVariable,
  /** Where a manifest that can never apply is parked at once, rather than after every retry. */
  DEAD_LETTER_QUEUE_URL: nonEmpty("the manifest dead-letter queue's URL"),
  /** The deployment environment's name: the Environment dimension of the function's metrics. */
  SITESYNC_ENVIRONMENT: nonEmpty("the deployment environment's name"),
});

export type ApplyEnvironment = z.output<typeof applyEnvironment>;
/** What the deployment sets; Lambda sets AWS_REGION itself. */
export type ApplyVariables = Omit<z.input<typeof applyEnvironment>, "AWS_REGION">;
