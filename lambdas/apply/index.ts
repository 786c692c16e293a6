// The Lambda entry point of the apply function: dependencies come from the environment once per container.
import { createDynamoDbClient, createS3Client } from "../../aws/clients.ts";
import { PermanentError } from "../../core/errors.ts";
import { createLogger } from "../../core/logger.ts";
import { parsePublishRules } from "../../core/publish-rules.ts";
import { createApplyHandler, type SqsHandler } from "./handler.ts";

let handlerInstance: SqsHandler | undefined;

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new PermanentError(`environment variable ${name} is not set; the deployment must define it`);
  return value;
}

function build(): SqsHandler {
  const clientConfig = { region: required("AWS_REGION") };
  return createApplyHandler({
    s3: createS3Client(clientConfig),
    dynamodb: createDynamoDbClient(clientConfig),
    siteBucket: required("SITE_BUCKET"),
    versionBucket: required("VERSION_BUCKET"),
    table: required("INDEX_TABLE"),
    rules: parsePublishRules(JSON.parse(process.env.PUBLISH_RULES ?? "{}"), "environment variable PUBLISH_RULES"),
    logger: createLogger({ json: true, stream: process.stdout }),
  });
}

export const handler: SqsHandler = (event) => {
  handlerInstance ??= build();
  return handlerInstance(event);
};
