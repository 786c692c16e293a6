// The PostSync functions' environment: lib/post-sync.ts writes it, lambdas/post-sync/ reads it once per
// container, and the local workflows build the same steps from the same variables of the template.
import * as z from "zod/mini";
import { awsRegion, jsonVariable, nonEmpty, positiveCount, publishRulesVariable } from "./fields.ts";

export const postSyncEnvironment = z.object({
  AWS_REGION: awsRegion,
  SITE_BUCKET: nonEmpty("the site bucket's name"),
  VERSION_BUCKET: nonEmpty("the version store bucket's name"),
  INDEX_TABLE: nonEmpty("the index table's name"),
  PUBLISH_RULES: publishRulesVariable,
  INVALIDATION: jsonVariable(
    'the invalidation settings {"collapseAbove": 10, "maxPaths": 100}',
    z.object({ collapseAbove: positiveCount, maxPaths: positiveCount }),
  ),
  /** Absent when the environment has no CloudFront distribution: nothing is invalidated. */
  DISTRIBUTION_ID: z.optional(nonEmpty("a CloudFront distribution id")),
  /** The key value store of the .htaccess redirects; absent without a distribution. */
  KEY_VALUE_STORE_ARN: z.optional(nonEmpty("a CloudFront key value store ARN")),
  /** The deployment environment's name: the Environment dimension of the functions' metrics. */
  SITESYNC_ENVIRONMENT: nonEmpty("the deployment environment's name"),
});

export type PostSyncEnvironment = z.output<typeof postSyncEnvironment>;
/** What the deployment sets; Lambda sets AWS_REGION itself. */
export type PostSyncVariables = Omit<z.input<typeof postSyncEnvironment>, "AWS_REGION">;
