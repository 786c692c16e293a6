// The Lambda entry point of the apply function, through the one entry wrapper: its dependencies come from
// its environment once per container.
import type { SQSBatchResponse, SQSEvent } from "aws-lambda";
import { createDynamoDbClient, createS3Client, createSqsClient } from "../../aws/clients.ts";
import { applyEnvironment } from "../../core/contracts/apply-environment.ts";
import { SERVICES } from "../../core/metric-names.ts";
import { lambdaEntry } from "../entry.ts";
import { metricsPublisher } from "../metrics.ts";
import { applyDeps, createApplyHandler } from "./handler.ts";

const entry = lambdaEntry({
  service: SERVICES.apply,
  environment: applyEnvironment,
  build: (env, log) => {
    const clientConfig = { region: env.AWS_REGION };
    const clients = {
      s3: createS3Client(clientConfig),
      dynamodb: createDynamoDbClient(clientConfig),
      sqs: createSqsClient(clientConfig),
    };
    // Standard output, beside the Powertools logger's lines, where CloudWatch Logs extracts the metrics.
    const metrics = metricsPublisher({ service: SERVICES.apply, environment: env.SITESYNC_ENVIRONMENT });
    return createApplyHandler(applyDeps(env, clients, log, metrics));
  },
});

export const handler = entry.event<SQSEvent, SQSBatchResponse>((event, apply, context) => apply(event, context));
