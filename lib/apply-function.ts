// The apply function: consumes manifests from the queue and publishes them, and parks a manifest that can
// never apply in the dead-letter queue. Bundled with esbuild from lambdas/apply/index.ts (ARM, Node.js 22),
// carrying only the S3, DynamoDB and SQS clients it uses.
import { Duration, Names } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import * as lambda from "aws-cdk-lib/aws-lambda";
import * as nodejs from "aws-cdk-lib/aws-lambda-nodejs";
import * as logs from "aws-cdk-lib/aws-logs";
import { Construct } from "constructs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ApplyVariables } from "../core/contracts/apply-environment.ts";
import { METRICS_NAMESPACE, SERVICES, type Service } from "../core/metric-names.ts";
import type { EnvironmentConfig } from "./environment-config.ts";
import type { ManifestQueue } from "./manifest-queue.ts";
import type { Storage } from "./storage.ts";
import { acknowledge, wildcardFinding } from "./nag.ts";

export const PROJECT_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

/** esbuild settings shared by every function of the app. */
export function bundling(): nodejs.BundlingOptions {
  return {
    format: nodejs.OutputFormat.ESM,
    target: "node22",
    minify: true,
    sourceMap: false,
    // ES module builds of the SDK tree-shake; the CommonJS ones do not (about 500 KB against 740 KB).
    mainFields: ["module", "main"],
    // Some dependencies still call require(); give the ES module bundle one.
    banner: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
    // Bundle the SDK versions the lock file pins rather than whatever the runtime ships.
    externalModules: [],
  };
}

/**
 * Powertools' own settings for a function, from the names its metrics and the dashboard share: the code
 * passes them too, so a Powertools Metrics or Logger made without options still agrees with the alarms.
 */
export const powertoolsVariables = (service: Service) => ({
  POWERTOOLS_SERVICE_NAME: service,
  POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
});

/**
 * The role of a function that writes its own logs and nothing else until statements are added. A log
 * group's ARN ends in ":*" already (CloudFormation's Fn::GetAtt Arn), which covers its streams.
 */
export function functionRole(scope: Construct, id: string, logGroup: logs.ILogGroup): iam.Role {
  const role = new iam.Role(scope, id, { assumedBy: new iam.ServicePrincipal("lambda.amazonaws.com") });
  role.addToPolicy(
    new iam.PolicyStatement({
      sid: "WriteOwnLogs",
      actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
      resources: [logGroup.logGroupArn],
    }),
  );
  return role;
}

export class ApplyFunction extends Construct {
  readonly fn: nodejs.NodejsFunction;
  readonly role: iam.Role;
  readonly eventSource: lambda.EventSourceMapping;

  constructor(scope: Construct, id: string, env: EnvironmentConfig, storage: Storage, queue: ManifestQueue) {
    super(scope, id);
    const logGroup = new logs.LogGroup(this, "Logs", { retention: logs.RetentionDays.THREE_MONTHS });
    this.role = functionRole(this, "Role", logGroup);
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: "ReadAndRecordIndex",
        actions: ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"],
        resources: [storage.table.tableArn],
      }),
    );
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: "ReadStagedBytes",
        actions: ["s3:GetObject"],
        resources: [storage.versionBucket.arnForObjects("*")],
      }),
    );
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: "PublishSite",
        // Multipart copies (objects over 5 GiB) are aborted on failure so their parts are not kept.
        actions: ["s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"],
        resources: [storage.siteBucket.arnForObjects("*")],
      }),
    );
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: "CheckSite",
        // HEAD for the version check that repairs late writes; adopted objects are the source of their copies.
        actions: ["s3:GetObject"],
        resources: [storage.siteBucket.arnForObjects("*")],
      }),
    );
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: "TellMissingObjects",
        // Without it S3 answers a HEAD of a missing key with 403, not 404, and absence could not be checked.
        actions: ["s3:ListBucket"],
        resources: [storage.siteBucket.bucketArn],
      }),
    );
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: "ParkPoisonManifests",
        // A manifest that can never apply goes to the dead-letter queue at once, not after every retry.
        actions: ["sqs:SendMessage"],
        resources: [queue.deadLetterQueue.queueArn],
      }),
    );
    acknowledge(
      this.role,
      wildcardFinding(storage.versionBucket, "/*"),
      "Staged bytes live under run-generated keys; reading is confined to the version store.",
    );
    acknowledge(
      this.role,
      wildcardFinding(storage.siteBucket, "/*"),
      "The function publishes the site's own paths, which are any keys of the site bucket.",
    );
    this.fn = new nodejs.NodejsFunction(this, "Function", {
      entry: join(PROJECT_ROOT, "lambdas/apply/index.ts"),
      handler: "handler",
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: env.apply.memoryMb,
      timeout: Duration.seconds(env.apply.timeoutSeconds),
      role: this.role,
      logGroup,
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: join(PROJECT_ROOT, "package-lock.json"),
      bundling: bundling(),
      environment: {
        ...powertoolsVariables(SERVICES.apply),
        ...({
          SITE_BUCKET: storage.siteBucket.bucketName,
          VERSION_BUCKET: storage.versionBucket.bucketName,
          INDEX_TABLE: storage.table.tableName,
          PUBLISH_RULES: JSON.stringify(env.publishRules),
          DEAD_LETTER_QUEUE_URL: queue.deadLetterQueue.queueUrl,
          SITESYNC_ENVIRONMENT: env.name,
        } satisfies ApplyVariables),
      },
      description: `sitesync ${env.name}: applies manifests from the queue to the site bucket`,
    });
    acknowledge(
      this.fn,
      "AwsSolutions-L1",
      "Node.js 22 (LTS until April 2027) is the runtime this release is built and tested for; " +
        "a runtime change is a deliberate release with its own tests.",
    );
    // The mapping of CDK's SqsEventSource, without its grant: that one also gives ChangeMessageVisibility and
    // GetQueueUrl, which Lambda's poller does not call. Same construct id, so the mapping keeps its logical id.
    this.eventSource = this.fn.addEventSourceMapping(`SqsEventSource:${Names.nodeUniqueId(queue.queue.node)}`, {
      eventSourceArn: queue.queue.queueArn,
      batchSize: env.apply.batchSize,
      maxBatchingWindow:
        env.apply.maxBatchingWindowSeconds > 0 ? Duration.seconds(env.apply.maxBatchingWindowSeconds) : undefined,
      maxConcurrency: env.apply.maxConcurrency,
      reportBatchItemFailures: true,
    });
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: "PollManifests",
        // What the event source mapping does with the function's role: read the queue's attributes when the
        // mapping is made or changed, receive batches, delete what was processed.
        actions: ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
        resources: [queue.queue.queueArn],
      }),
    );
  }
}
