// The resources a deployment defines, made on the local stack's servers (in AWS, CloudFormation makes
// them from the same template). Each one may already exist from an earlier start: that is not an error.
import { CreateBucketCommand, type S3Client } from "@aws-sdk/client-s3";
import {
  CreateTableCommand,
  DescribeTableCommand,
  type AttributeDefinition,
  type DynamoDBClient,
  type KeySchemaElement,
} from "@aws-sdk/client-dynamodb";
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from "@aws-sdk/client-sqs";

export async function createBucket(s3: S3Client, bucket: string): Promise<void> {
  try {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (err) {
    if (!/BucketAlready(OwnedByYou|Exists)/.test((err as Error).name)) throw err;
  }
}

/** An on-demand table, once it is ACTIVE. */
export async function createTable(
  ddb: DynamoDBClient,
  table: string,
  keySchema: KeySchemaElement[],
  attributes: AttributeDefinition[],
): Promise<void> {
  try {
    await ddb.send(
      new CreateTableCommand({
        TableName: table,
        BillingMode: "PAY_PER_REQUEST",
        AttributeDefinitions: attributes,
        KeySchema: keySchema,
      }),
    );
  } catch (err) {
    if ((err as Error).name !== "ResourceInUseException") throw err;
  }
  // The SDK's waiter sleeps a whole second between checks; the local server is ACTIVE within milliseconds.
  for (let attempt = 0; attempt < 500; attempt++) {
    const res = await ddb.send(new DescribeTableCommand({ TableName: table }));
    if (res.Table?.TableStatus === "ACTIVE") return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`table ${table} did not become ACTIVE`);
}

/** A queue with these attributes; its URL and ARN. */
export async function createQueue(
  sqs: SQSClient,
  name: string,
  attributes: Record<string, string>,
): Promise<{ url: string; arn: string }> {
  const created = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  const url = created.QueueUrl!;
  const res = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["QueueArn"] }));
  return { url, arn: res.Attributes!.QueueArn! };
}
