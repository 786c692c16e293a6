// Records every AWS call each component makes (through the clients' onCall hook, aws/clients.ts) and says
// which IAM request each call is: the action and the resource ARN that AWS authorizes it as. A command this
// file does not know fails the test that records it, so a new call cannot slip past the policy check.
import type { AwsCall } from "../../aws/clients.ts";

export interface RecordedCall extends AwsCall {
  /** The logical id, less CDK's hash, of the template resource whose identity makes the call. */
  component: string;
}

/** "WorkflowsPostSyncStateMachine" for "WorkflowsPostSyncStateMachine96CA8010": CDK ends logical ids so. */
export const withoutHash = (logicalId: string): string => logicalId.replace(/[0-9A-F]{8}$/, "");

/** What IAM is asked for one call: an action on a resource, with the request's condition keys. */
export interface IamRequest {
  action: string;
  resource: string;
  context: Record<string, string>;
  /** Why the call needs this beyond its own action (an implied check), for the test's messages. */
  implied?: string;
}

export class AwsCallRecorder {
  readonly calls: RecordedCall[] = [];

  /** The listener for one component's clients (AwsClientConfig.onCall). */
  for(component: string): (call: AwsCall) => void {
    return (call) => this.record(component, call);
  }

  /** The listener for a stack whose components report under their logical ids. */
  readonly record = (component: string, call: AwsCall): void => {
    this.calls.push({ component: withoutHash(component), ...call });
  };

  /** Calls per component, for the test's report. */
  counts(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const call of this.calls) counts[call.component] = (counts[call.component] ?? 0) + 1;
    return counts;
  }
}

/** Where ARNs are: the local stack's account and region. */
export interface ArnScope {
  account: string;
  region: string;
}

const s3Object = (bucket: unknown, key: unknown) => `arn:aws:s3:::${String(bucket)}/${String(key)}`;
const s3Bucket = (bucket: unknown) => `arn:aws:s3:::${String(bucket)}`;

/** The queue's ARN from its URL, whose last segment is its name (local and AWS URLs alike). */
function queueArn(url: unknown, scope: ArnScope): string {
  const name = String(url).split("/").pop();
  return `arn:aws:sqs:${scope.region}:${scope.account}:${name}`;
}

function tableArn(table: unknown, scope: ArnScope, index?: unknown): string {
  const arn = `arn:aws:dynamodb:${scope.region}:${scope.account}:table/${String(table)}`;
  return index === undefined ? arn : `${arn}/index/${String(index)}`;
}

/** "bucket/key" or "bucket/key?versionId=…", URL-encoded as the SDK sends it. */
function copySource(source: unknown): { bucket: string; key: string; versionId?: string } {
  const [path, query] = String(source).split("?");
  const decoded = decodeURIComponent(path!.replace(/^\//, ""));
  const slash = decoded.indexOf("/");
  const versionId = new URLSearchParams(query ?? "").get("versionId") ?? undefined;
  return { bucket: decoded.slice(0, slash), key: decoded.slice(slash + 1), ...(versionId ? { versionId } : {}) };
}

/**
 * The IAM requests one call makes, from the service authorization reference ("Actions, resources, and
 * condition keys"): a HEAD is s3:GetObject, a copy reads its source and writes its target, a batch of SQS
 * messages is sqs:SendMessage, every part of a multipart upload is s3:PutObject.
 */
export function iamRequests(call: AwsCall, scope: ArnScope): IamRequest[] {
  const input = call.input;
  const command = call.command.replace(/Command$/, "");
  const one = (action: string, resource: string, context: Record<string, string> = {}): IamRequest[] => [
    { action, resource, context },
  ];
  switch (call.client) {
    case "S3Client": {
      const object = () => s3Object(input.Bucket, input.Key);
      switch (command) {
        case "GetObject":
        case "HeadObject": {
          const read = one(input.VersionId ? "s3:GetObjectVersion" : "s3:GetObject", object());
          // S3 answers a missing key with 404 only to a caller that may list the bucket, with 403 to others.
          if (call.errorStatus !== 404) return read;
          return [...read, { action: "s3:ListBucket", resource: s3Bucket(input.Bucket), context: {}, implied: "404" }];
        }
        case "PutObject":
        case "CreateMultipartUpload":
        case "UploadPart":
        case "CompleteMultipartUpload":
          return one("s3:PutObject", object());
        case "AbortMultipartUpload":
          return one("s3:AbortMultipartUpload", object());
        case "CopyObject":
        case "UploadPartCopy": {
          const source = copySource(input.CopySource);
          const read = source.versionId ? "s3:GetObjectVersion" : "s3:GetObject";
          return [...one(read, s3Object(source.bucket, source.key)), ...one("s3:PutObject", object())];
        }
        case "DeleteObject":
          return one(input.VersionId ? "s3:DeleteObjectVersion" : "s3:DeleteObject", object());
        case "DeleteObjects": {
          const objects = (input.Delete as { Objects?: Array<{ Key?: string }> } | undefined)?.Objects ?? [];
          return objects.flatMap((o) => one("s3:DeleteObject", s3Object(input.Bucket, o.Key)));
        }
        case "ListObjectsV2":
          return one("s3:ListBucket", s3Bucket(input.Bucket), { "s3:prefix": String(input.Prefix ?? "") });
      }
      break;
    }
    case "DynamoDBClient": {
      switch (command) {
        case "GetItem":
        case "PutItem":
        case "UpdateItem":
        case "DeleteItem":
        case "Query":
        case "DescribeTable":
          return one(`dynamodb:${command}`, tableArn(input.TableName, scope, input.IndexName));
        case "BatchGetItem":
        case "BatchWriteItem":
          return Object.keys((input.RequestItems as object | undefined) ?? {}).flatMap((table) =>
            one(`dynamodb:${command}`, tableArn(table, scope)),
          );
      }
      break;
    }
    case "SQSClient": {
      const actions: Record<string, string> = {
        SendMessage: "sqs:SendMessage",
        SendMessageBatch: "sqs:SendMessage",
        ReceiveMessage: "sqs:ReceiveMessage",
        DeleteMessage: "sqs:DeleteMessage",
        DeleteMessageBatch: "sqs:DeleteMessage",
        ChangeMessageVisibility: "sqs:ChangeMessageVisibility",
        GetQueueAttributes: "sqs:GetQueueAttributes",
      };
      const action = actions[command];
      if (action) return one(action, queueArn(input.QueueUrl, scope));
      break;
    }
    case "SFNClient":
      if (command === "StartExecution" || command === "ListExecutions") {
        return one(`states:${command}`, String(input.stateMachineArn));
      }
      if (command === "DescribeExecution") return one("states:DescribeExecution", String(input.executionArn));
      break;
    case "LambdaClient":
      if (command === "Invoke") return one("lambda:InvokeFunction", String(input.FunctionName));
      break;
    case "CloudFrontClient":
      if (command === "CreateInvalidation" || command === "GetInvalidation") {
        return one(
          `cloudfront:${command}`,
          `arn:aws:cloudfront::${scope.account}:distribution/${input.DistributionId}`,
        );
      }
      break;
    case "CloudFrontKeyValueStoreClient":
      return one(`cloudfront-keyvaluestore:${command}`, String(input.KvsARN));
  }
  throw new Error(`no IAM mapping for ${call.client} ${call.command}: add it to test/support/aws-call-recorder.ts`);
}
