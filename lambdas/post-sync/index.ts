// Lambda entry points of the PostSync steps: one bundle, one exported handler per step (each deployed as
// its own function with its own role). Dependencies come from the environment once per container.
import { cloudFrontInvalidations } from "../../aws/cdn.ts";
import { createCloudFrontClient, createDynamoDbClient, createS3Client } from "../../aws/clients.ts";
import { PermanentError } from "../../core/errors.ts";
import { parsePublishRules } from "../../core/publish-rules.ts";
import { createPostSyncHandlers, type PostSyncHandlers } from "./handlers.ts";

let handlers: PostSyncHandlers | undefined;

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new PermanentError(`environment variable ${name} is not set; the deployment must define it`);
  return value;
}

function build(): PostSyncHandlers {
  const clientConfig = { region: required("AWS_REGION") };
  const distributionId = process.env.DISTRIBUTION_ID;
  const settings = JSON.parse(process.env.INVALIDATION ?? "{}") as { collapseAbove?: number; maxPaths?: number };
  return createPostSyncHandlers({
    s3: createS3Client(clientConfig),
    dynamodb: createDynamoDbClient(clientConfig),
    siteBucket: required("SITE_BUCKET"),
    versionBucket: required("VERSION_BUCKET"),
    table: required("INDEX_TABLE"),
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
