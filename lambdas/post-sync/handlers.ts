// The PostSync steps as the state machine invokes them: each task's input and output contract, and the
// step it calls. Errors keep their names (RunNotApplied, TooManyInvalidationsInProgress), which the state
// machine's Retry and Catch match on.
import type { S3Client } from "@aws-sdk/client-s3";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { InvalidationService } from "../../aws/cdn.ts";
import type { KeyValueStoreService } from "../../aws/edge-store.ts";
import { awaitRunInput, awaitRunOutput } from "../../core/contracts/post-sync-await-run.ts";
import type { PostSyncEnvironment } from "../../core/contracts/post-sync-environment.ts";
import { generateListingsInput, generateListingsOutput } from "../../core/contracts/post-sync-generate-listings.ts";
import { invalidateInput, invalidateOutput } from "../../core/contracts/post-sync-invalidate.ts";
import { planInvalidationsInput, planInvalidationsOutput } from "../../core/contracts/post-sync-plan-invalidations.ts";
import { planListingsInput, planListingsOutput } from "../../core/contracts/post-sync-plan-listings.ts";
import { BadInputError } from "../../core/errors.ts";
import { POST_SYNC_METRICS } from "../../core/metric-names.ts";
import { type Invocation, runStep, step } from "../entry.ts";
import type { MetricsPublisher } from "../metrics.ts";
import { awaitRun } from "./await-run.ts";
import { generateListings } from "./generate-listings.ts";
import { sendInvalidation } from "./invalidate.ts";
import { planRunInvalidations, type InvalidationSettings } from "./plan-invalidations.ts";
import { planListings } from "./plan-listings.ts";
import type { SiteDeps } from "../site-deps.ts";

export interface PostSyncDeps extends SiteDeps {
  invalidation: InvalidationSettings;
  /** Absent when the environment has no CloudFront distribution: nothing is invalidated. */
  cdn?: { service: InvalidationService; distributionId: string };
  /** The edge's key value store (the .htaccess redirects); absent without a distribution. */
  keyValueStore?: KeyValueStoreService;
  /** Where the Invalidate step's figure goes: the paths it sent to CloudFront. */
  metrics: MetricsPublisher;
}

/** The steps' dependencies from their environment; the Lambda entry and the local stack both build them so. */
export function postSyncDeps(
  env: PostSyncEnvironment,
  clients: {
    s3: S3Client;
    dynamodb: DynamoDBClient;
    invalidations: () => InvalidationService;
    keyValueStore?: (arn: string) => KeyValueStoreService;
  },
  metrics: MetricsPublisher,
): PostSyncDeps {
  const distributionId = env.DISTRIBUTION_ID;
  const storeArn = env.KEY_VALUE_STORE_ARN;
  return {
    s3: clients.s3,
    dynamodb: clients.dynamodb,
    siteBucket: env.SITE_BUCKET,
    versionBucket: env.VERSION_BUCKET,
    table: env.INDEX_TABLE,
    rules: env.PUBLISH_RULES,
    invalidation: env.INVALIDATION,
    metrics,
    ...(distributionId ? { cdn: { service: clients.invalidations(), distributionId } } : {}),
    ...(storeArn && clients.keyValueStore ? { keyValueStore: clients.keyValueStore(storeArn) } : {}),
  };
}

export const postSyncSteps = {
  awaitRun: step({
    input: awaitRunInput,
    output: awaitRunOutput,
    run: (input, deps: PostSyncDeps) => awaitRun(input, deps),
  }),
  planListings: step({
    input: planListingsInput,
    output: planListingsOutput,
    run: (input, deps: PostSyncDeps) => planListings(input, deps),
  }),
  generateListings: step({
    input: generateListingsInput,
    output: generateListingsOutput,
    // The changed directories go to the run's artifacts, not through the state machine's payload.
    run: async (input, deps: PostSyncDeps, invocation) => {
      const { outcomes, next } = await generateListings(input, deps, invocation);
      return { outcomes, next };
    },
  }),
  planInvalidations: step({
    input: planInvalidationsInput,
    output: planInvalidationsOutput,
    run: (input, deps: PostSyncDeps) =>
      planRunInvalidations(input, {
        ...deps,
        settings: deps.invalidation,
        ...(deps.cdn ? { distributionId: deps.cdn.distributionId } : {}),
      }),
  }),
  invalidate: step({
    input: invalidateInput,
    output: invalidateOutput,
    run: async (input, deps: PostSyncDeps) => {
      if (!deps.cdn) throw new BadInputError("this environment has no CloudFront distribution to invalidate");
      const sent = await sendInvalidation(input, {
        ...deps,
        cdn: deps.cdn.service,
        distributionId: deps.cdn.distributionId,
      });
      deps.metrics.publish([[POST_SYNC_METRICS.invalidationPaths, sent.paths]]);
      return sent;
    },
  }),
};

/** Each step as a function of its task input and invocation, for the local Step Functions server. */
export function createPostSyncHandlers(deps: PostSyncDeps) {
  return {
    awaitRun: (event: unknown, at?: Invocation) => runStep(postSyncSteps.awaitRun, event, deps, at),
    planListings: (event: unknown, at?: Invocation) => runStep(postSyncSteps.planListings, event, deps, at),
    generateListings: (event: unknown, at?: Invocation) => runStep(postSyncSteps.generateListings, event, deps, at),
    planInvalidations: (event: unknown, at?: Invocation) => runStep(postSyncSteps.planInvalidations, event, deps, at),
    invalidate: (event: unknown, at?: Invocation) => runStep(postSyncSteps.invalidate, event, deps, at),
  };
}
