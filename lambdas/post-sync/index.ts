// Lambda entry points of the PostSync steps: one bundle, one exported handler per step (each deployed as
// its own function with its own role). Dependencies come from the environment once per container.
import { cloudFrontInvalidations } from "../../aws/cdn.ts";
import { createCloudFrontClient, createDynamoDbClient, createS3Client } from "../../aws/clients.ts";
import { requiredEnv } from "../environment.ts";
import { parsePublishRules } from "../../core/publish-rules.ts";
import { createPostSyncHandlers, type PostSyncHandlers } from "./handlers.ts";

let handlers: PostSyncHandlers | undefined;

function build(): PostSyncHandlers {
  const clientConfig = { region: requiredEnv("AWS_REGION") };
  const distributionId = process.env.DISTRIBUTION_ID;
  const settings = JSON.parse(process.env.INVALIDATION ?? "{}") as { collapseAbove?: number; maxPaths?: number };
  return createPostSyncHandlers({
    s3: createS3Client(clientConfig),
    dynamodb: createDynamoDbClient(clientConfig),
    siteBucket: requiredEnv("SITE_BUCKET"),
    versionBucket: requiredEnv("VERSION_BUCKET"),
    table: requiredEnv("INDEX_TABLE"),
    rules: parsePublishRules(JSON.parse(process.env.PUBLISH_RULES ?? "{}"), "environment variable PUBLISH_RULES"),
    invalidation: { collapseAbove: settings.collapseAbove ?? 10, maxPaths: settings.maxPaths ?? 100 },
    ...(distributionId
      ? { cdn: { service: cloudFrontInvalidations(createCloudFrontClient(clientConfig)), distributionId } }
      : {}),
  });
}

const step =
  <K extends keyof PostSyncHandlers>(name: K) =>
  (event: unknown) => {
    handlers ??= build();
    return handlers[name](event);
  };

export const awaitRun = step("awaitRun");
export const planListings = step("planListings");
export const generateListings = step("generateListings");
export const planInvalidations = step("planInvalidations");
export const invalidate = step("invalidate");
