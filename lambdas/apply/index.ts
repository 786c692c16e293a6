// The Lambda entry point of the apply function: dependencies come from the environment once per container.
import { createDynamoDbClient, createS3Client } from "../../aws/clients.ts";
import { requiredEnv } from "../environment.ts";
import { createLogger } from "../../core/logger.ts";
import { parsePublishRules } from "../../core/publish-rules.ts";
import { createApplyHandler, type SqsHandler } from "./handler.ts";

let handlerInstance: SqsHandler | undefined;

function build(): SqsHandler {
  const clientConfig = { region: requiredEnv("AWS_REGION") };
  return createApplyHandler({
    s3: createS3Client(clientConfig),
    dynamodb: createDynamoDbClient(clientConfig),
    siteBucket: requiredEnv("SITE_BUCKET"),
    versionBucket: requiredEnv("VERSION_BUCKET"),
    table: requiredEnv("INDEX_TABLE"),
    rules: parsePublishRules(JSON.parse(process.env.PUBLISH_RULES ?? "{}"), "environment variable PUBLISH_RULES"),
    logger: createLogger({ json: true, stream: process.stdout }),
  });
}

export const handler: SqsHandler = (event) => {
  handlerInstance ??= build();
  return handlerInstance(event);
};
