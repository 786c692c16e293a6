// The one place that constructs AWS SDK clients. The agent, the Lambda handlers, the local stack and the
// tests all build their clients here from one plain config, so the same code runs against AWS and against
// the local servers: only the endpoints differ.
import { S3Client } from "@aws-sdk/client-s3";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SQSClient } from "@aws-sdk/client-sqs";
import { SFNClient } from "@aws-sdk/client-sfn";
import { CloudFrontClient } from "@aws-sdk/client-cloudfront";
import { CloudFrontKeyValueStoreClient } from "@aws-sdk/client-cloudfront-keyvaluestore";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";

export interface AwsEndpoints {
  s3?: string;
  sqs?: string;
  dynamodb?: string;
  sfn?: string;
}

export interface AwsClientConfig {
  region: string;
  /** Per-service endpoint overrides; absent in AWS, set to 127.0.0.1 URLs on the local stack. */
  endpoints?: AwsEndpoints;
  /** Static credentials for the local stack; in AWS the default provider chain supplies them. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /**
   * Attempts per request, retries included. The SDK's standard retry strategy backs off with jitter on
   * throttling, 5xx and network errors; sync work is bulk and patient, so we allow more than its default 3.
   */
  maxAttempts?: number;
  /** Upper bound on concurrent sockets per client; matches the agent's I/O concurrency. */
  maxSockets?: number;
}

export interface AwsClients {
  s3: S3Client;
  dynamodb: DynamoDBClient;
  sqs: SQSClient;
  sfn: SFNClient;
  destroy(): void;
}

function common(config: AwsClientConfig) {
  const maxSockets = config.maxSockets ?? 64;
  return {
    region: config.region,
    maxAttempts: config.maxAttempts ?? 8,
    retryMode: "adaptive" as const,
    requestHandler: new NodeHttpHandler({
      httpAgent: new HttpAgent({ keepAlive: true, maxSockets }),
      httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets }),
      // Counts the wait for a free socket too, which bulk work can fill for seconds.
      connectionTimeout: 15_000,
      requestTimeout: 120_000,
    }),
    ...(config.credentials ? { credentials: config.credentials } : {}),
  };
}

// One factory per service, so a bundle (the apply function) carries only the clients it uses.

export function createS3Client(config: AwsClientConfig): S3Client {
  return new S3Client({
    ...common(config),
    ...(config.endpoints?.s3 ? { endpoint: config.endpoints.s3, forcePathStyle: true } : {}),
  });
}

export function createDynamoDbClient(config: AwsClientConfig): DynamoDBClient {
  return new DynamoDBClient({
    ...common(config),
    ...(config.endpoints?.dynamodb ? { endpoint: config.endpoints.dynamodb } : {}),
  });
}

export function createSqsClient(config: AwsClientConfig): SQSClient {
  return new SQSClient({ ...common(config), ...(config.endpoints?.sqs ? { endpoint: config.endpoints.sqs } : {}) });
}

export function createSfnClient(config: AwsClientConfig): SFNClient {
  return new SFNClient({ ...common(config), ...(config.endpoints?.sfn ? { endpoint: config.endpoints.sfn } : {}) });
}

/** CloudFront's API lives in us-east-1 whatever the stack's region. */
export function createCloudFrontClient(config: AwsClientConfig): CloudFrontClient {
  return new CloudFrontClient({ ...common({ ...config, region: "us-east-1" }) });
}

/**
 * The KeyValueStore API signs with SigV4A; importing @aws-sdk/signature-v4a (aws/edge-store.ts does) gives
 * the SDK its JavaScript implementation. The endpoint is global, derived from the store's ARN.
 */
export function createKeyValueStoreClient(config: AwsClientConfig): CloudFrontKeyValueStoreClient {
  return new CloudFrontKeyValueStoreClient({ ...common({ ...config, region: "us-east-1" }) });
}

export function createAwsClients(config: AwsClientConfig): AwsClients {
  const s3 = createS3Client(config);
  const dynamodb = createDynamoDbClient(config);
  const sqs = createSqsClient(config);
  const sfn = createSfnClient(config);
  return {
    s3,
    dynamodb,
    sqs,
    sfn,
    destroy() {
      s3.destroy();
      dynamodb.destroy();
      sqs.destroy();
      sfn.destroy();
    },
  };
}
