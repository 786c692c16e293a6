// The PostSync task handlers, as the state machine invokes them: parse the task input, call the step,
// return its result. Errors keep their names (RunNotApplied, TooManyInvalidationsInProgress), which the
// state machine's Retry and Catch match on.
import type { S3Client } from "@aws-sdk/client-s3";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { InvalidationService } from "../../aws/cdn.ts";
import { BadInputError } from "../../core/errors.ts";
import type { PublishRules } from "../../core/publish-rules.ts";
import { awaitRun, parseRunInput } from "./await-run.ts";
import { generateListings } from "./generate-listings.ts";
import { sendInvalidation } from "./invalidate.ts";
import { planRunInvalidations, type InvalidationSettings } from "./plan-invalidations.ts";
import { planListings } from "./plan-listings.ts";

export interface PostSyncDeps {
  s3: S3Client;
  dynamodb: DynamoDBClient;
  siteBucket: string;
  versionBucket: string;
  table: string;
  rules: PublishRules;
  invalidation: InvalidationSettings;
  /** Absent when the environment has no CloudFront distribution: nothing is invalidated. */
  cdn?: { service: InvalidationService; distributionId: string };
}

function field<T>(event: unknown, name: string, check: (v: unknown) => v is T, expected: string): T {
  const value = (event as Record<string, unknown> | null)?.[name];
  if (!check(value)) throw new BadInputError(`task input needs "${name}" (${expected}), got ${JSON.stringify(event)?.slice(0, 300)}`);
  return value;
}
const isString = (v: unknown): v is string => typeof v === "string";
const isCount = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;
const isCounts = (v: unknown): v is number[] => Array.isArray(v) && v.every(isCount);

export function createPostSyncHandlers(deps: PostSyncDeps) {
  return {
    awaitRun: (event: unknown) => awaitRun(parseRunInput(event), deps),
    planListings: (event: unknown) =>
      planListings(
        {
          runId: parseRunInput(event).runId,
          prefix: field(event, "prefix", isString, "the site prefix"),
          changePages: field(event, "changePages", isCount, "a count"),
        },
        deps,
      ),
    generateListings: async (event: unknown) => {
      const { outcomes } = await generateListings(
        { runId: parseRunInput(event).runId, prefix: field(event, "prefix", isString, "the site prefix"), page: field(event, "page", isCount, "a page number") },
        deps,
      );
      return { outcomes };
    },
    planInvalidations: (event: unknown) =>
      planRunInvalidations(
        {
          runId: parseRunInput(event).runId,
          prefix: field(event, "prefix", isString, "the site prefix"),
          changePages: field(event, "changePages", isCount, "a count"),
          listingPages: field(event, "listingPages", isCounts, "page numbers"),
        },
        { ...deps, settings: deps.invalidation, ...(deps.cdn ? { distributionId: deps.cdn.distributionId } : {}) },
      ),
    invalidate: (event: unknown) => {
      if (!deps.cdn) throw new BadInputError("this environment has no CloudFront distribution to invalidate");
      return sendInvalidation(
        { runId: parseRunInput(event).runId, batch: field(event, "batch", isCount, "a batch number") },
        { ...deps, cdn: deps.cdn.service, distributionId: deps.cdn.distributionId },
      );
    },
  };
}

export type PostSyncHandlers = ReturnType<typeof createPostSyncHandlers>;
