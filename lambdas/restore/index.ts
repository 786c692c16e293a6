// Lambda entry points of the Restore steps: one bundle, one exported handler per step.
import { createDynamoDbClient, createS3Client, createSfnClient, createSqsClient } from "../../aws/clients.ts";
import { PermanentError } from "../../core/errors.ts";
import { createRestoreHandlers, type RestoreHandlers } from "./handlers.ts";

let handlers: RestoreHandlers | undefined;

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new PermanentError(`environment variable ${name} is not set; the deployment must define it`);
  return value;
}

function build(): RestoreHandlers {
  const clientConfig = { region: required("AWS_REGION") };
  return createRestoreHandlers({
    s3: createS3Client(clientConfig),
    dynamodb: createDynamoDbClient(clientConfig),
    sqs: createSqsClient(clientConfig),
    sfn: createSfnClient(clientConfig),
    versionBucket: required("VERSION_BUCKET"),
    table: required("INDEX_TABLE"),
    queueUrl: process.env.MANIFEST_QUEUE_URL ?? "",
    restoreQueueUrl: process.env.RESTORE_QUEUE_URL ?? "",
    postSyncStateMachineArn: process.env.POSTSYNC_STATE_MACHINE_ARN ?? "",
    retentionDays: Number(required("RETENTION_DAYS")),
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
