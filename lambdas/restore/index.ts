// Lambda entry points of the Restore steps: one bundle, one exported handler per step.
import { createDynamoDbClient, createS3Client, createSfnClient, createSqsClient } from "../../aws/clients.ts";
import { requiredEnv } from "../environment.ts";
import { createRestoreHandlers, type RestoreHandlers } from "./handlers.ts";

let handlers: RestoreHandlers | undefined;

function build(): RestoreHandlers {
  const clientConfig = { region: requiredEnv("AWS_REGION") };
  return createRestoreHandlers({
    s3: createS3Client(clientConfig),
    dynamodb: createDynamoDbClient(clientConfig),
    sqs: createSqsClient(clientConfig),
    sfn: createSfnClient(clientConfig),
    versionBucket: requiredEnv("VERSION_BUCKET"),
    table: requiredEnv("INDEX_TABLE"),
    queueUrl: process.env.MANIFEST_QUEUE_URL ?? "",
    restoreQueueUrl: process.env.RESTORE_QUEUE_URL ?? "",
    postSyncStateMachineArn: process.env.POSTSYNC_STATE_MACHINE_ARN ?? "",
    retentionDays: Number(requiredEnv("RETENTION_DAYS")),
  });
}

const step =
  <K extends keyof RestoreHandlers>(name: K) =>
  (event: unknown) => {
    handlers ??= build();
    return handlers[name](event as never);
  };

export const start = step("start");
export const sitePage = step("sitePage");
export const hostPage = step("hostPage");
export const finish = step("finish");
