// The one place that constructs AWS SDK clients. The agent, the Lambda handlers, the local stack and the
// tests all build their clients here from one plain config, so the same code runs against AWS and against
// the local servers: only the endpoints differ.
import { S3Client } from "@aws-sdk/client-s3";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SQSClient } from "@aws-sdk/client-sqs";
import { SFNClient } from "@aws-sdk/client-sfn";
import { CloudFrontClient } from "@aws-sdk/client-cloudfront";
import { CloudFrontKeyValueStoreClient } from "@aws-sdk/client-cloudfront-keyvaluestore";
import { CloudFormationClient } from "@aws-sdk/client-cloudformation";
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
  /**
   * Told of every request the clients make, once per call whatever its retries: the tests that check each
   * component's calls against its IAM policy (test/integration/least-privilege.test.ts) record through it.
   */
  onCall?: AwsCallListener;
}

/** One call as a client made it: the SDK's names for the client and the command, and the command's input. */
export interface AwsCall {
  client: string;
  command: string;
  input: Record<string, unknown>;
  /** The HTTP status of a call the service refused (404 for a missing key), absent for a call that succeeded. */
  errorStatus?: number;
}

export type AwsCallListener = (call: AwsCall) => void;

export interface AwsClients {
  s3: S3Client;
  dynamodb: DynamoDBClient;
  sqs: SQSClient;
  sfn: SFNClient;
  destroy(): void;
}

/** Without a region (an operator's command only), the SDK finds one as the AWS CLI would. */
function common(config: Omit<AwsClientConfig, "region"> & { region: string | undefined }) {
  const maxSockets = config.maxSockets ?? 64;
  return {
    ...(config.region ? { region: config.region } : {}),
    maxAttempts: config.maxAttempts ?? 8,
    // Not "adaptive": its client-side rate limiter cuts the send rate at every throttling error, so a few
    // scattered throttles slowed a bulk apply 24-fold (test/integration/service-faults.test.ts).
    retryMode: "standard" as const,
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

/**
 * Adds the onCall listener to a client's middleware stack, at the initialize step: outside the retry loop,
 * so one report per call however many attempts it took. Each client's stack is typed by its own commands;
 * the listener reads only what all of them share (the context's names, the input), hence the casts.
 */
function observe<C extends { middlewareStack: { add(middleware: never, options: never): void } }>(
  client: C,
  onCall: AwsCallListener | undefined,
): C {
  if (!onCall) return client;
  type Context = { clientName?: string; commandName?: string };
  const listener =
    <A extends { input: object }, R>(next: (args: A) => Promise<R>, context: Context) =>
    async (args: A): Promise<R> => {
      const call = { client: context.clientName ?? "?", command: context.commandName ?? "?", input: { ...args.input } };
      try {
        const out = await next(args);
        onCall(call);
        return out;
      } catch (err) {
        const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
        onCall(status === undefined ? call : { ...call, errorStatus: status });
        throw err;
      }
    };
  client.middlewareStack.add(listener as never, { step: "initialize", name: "sitesyncCallListener" } as never);
  return client;
}

// One factory per service, so a bundle (the apply function) carries only the clients it uses.

export function createS3Client(config: AwsClientConfig): S3Client {
  const client = new S3Client({
    ...common(config),
    ...(config.endpoints?.s3 ? { endpoint: config.endpoints.s3, forcePathStyle: true } : {}),
  });
  return observe(client, config.onCall);
}

export function createDynamoDbClient(config: AwsClientConfig): DynamoDBClient {
  const client = new DynamoDBClient({
    ...common(config),
    ...(config.endpoints?.dynamodb ? { endpoint: config.endpoints.dynamodb } : {}),
  });
  return observe(client, config.onCall);
}

export function createSqsClient(config: AwsClientConfig): SQSClient {
  const endpoint = config.endpoints?.sqs ? { endpoint: config.endpoints.sqs } : {};
  return observe(new SQSClient({ ...common(config), ...endpoint }), config.onCall);
}

export function createSfnClient(config: AwsClientConfig): SFNClient {
  const endpoint = config.endpoints?.sfn ? { endpoint: config.endpoints.sfn } : {};
  return observe(new SFNClient({ ...common(config), ...endpoint }), config.onCall);
}

/** CloudFront's API lives in us-east-1 whatever the stack's region. */
export function createCloudFrontClient(config: AwsClientConfig): CloudFrontClient {
  return observe(new CloudFrontClient({ ...common({ ...config, region: "us-east-1" }) }), config.onCall);
}

/**
 * The KeyValueStore API signs with SigV4A; importing @aws-sdk/signature-v4a (aws/edge-store.ts does) gives
 * the SDK its JavaScript implementation. The endpoint is global, derived from the store's ARN.
 */
export function createKeyValueStoreClient(config: AwsClientConfig): CloudFrontKeyValueStoreClient {
  return observe(new CloudFrontKeyValueStoreClient({ ...common({ ...config, region: "us-east-1" }) }), config.onCall);
}

/**
 * For `sitesync config --from-stack`, an operator's command: never among the agent's clients, and its
 * region, when not given, is the operator's own (AWS_REGION, the profile), as the AWS CLI's would be.
 */
export function createCloudFormationClient(
  config: Omit<AwsClientConfig, "region"> & { region: string | undefined },
): CloudFormationClient {
  return observe(new CloudFormationClient(common(config)), config.onCall);
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
