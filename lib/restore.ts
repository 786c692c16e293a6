// Restore: the site under a prefix back to a point in time (through the ordinary pipeline, then PostSync),
// or a restore plan for the host tree on the restore queue. Started from the console or the CLI:
//   aws stepfunctions start-execution --state-machine-arn … --input '{"target":"site","prefix":"docs/","asOf":"…"}'
import { Duration } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as nodejs from "aws-cdk-lib/aws-lambda-nodejs";
import * as sqs from "aws-cdk-lib/aws-sqs";
import type * as sfn from "aws-cdk-lib/aws-stepfunctions";
import { Construct } from "constructs";
import type { RestoreVariables } from "../core/contracts/restore-environment.ts";
import { SERVICES } from "../core/metric-names.ts";
import type { EnvironmentConfig } from "./environment-config.ts";
import type { ManifestQueue } from "./manifest-queue.ts";
import { acknowledge } from "./nag.ts";
import type { Storage } from "./storage.ts";
import {
  createStepFunctions,
  invokeTask,
  LAMBDA_TRANSIENT_RETRY,
  type TaskFunction,
  taskTimeout,
  wildcardFinding,
  workflowStateMachine,
} from "./workflow-functions.ts";

export const RESTORE_STEPS = ["start", "sitePage", "hostPage", "finish"] as const;
export type RestoreStep = (typeof RESTORE_STEPS)[number];

export class Restore extends Construct {
  readonly functions: Record<RestoreStep, nodejs.NodejsFunction>;
  readonly stateMachine: sfn.StateMachine;
  readonly restoreQueue: sqs.Queue;

  constructor(
    scope: Construct,
    id: string,
    env: EnvironmentConfig,
    storage: Storage,
    queue: ManifestQueue,
    postSync: sfn.IStateMachine,
  ) {
    super(scope, id);
    this.restoreQueue = new sqs.Queue(this, "HostPlans", {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(4),
      visibilityTimeout: Duration.minutes(10),
    });
    acknowledge(
      this.restoreQueue,
      "AwsSolutions-SQS3",
      "The agent deletes a plan message only after writing its files; " +
        "one it cannot apply stays visible for the next attempt and is reported, " +
        "so a dead-letter queue would hide it.",
    );
    const runs = storage.versionBucket.arnForObjects("runs/*");
    const runsWildcard = {
      [wildcardFinding(storage.versionBucket, "/runs/*")]:
        "Run artifacts are keyed by run id under runs/; the wildcard is confined to that prefix of the version store.",
    };
    const readIndex = new iam.PolicyStatement({
      sid: "ReadIndex",
      actions: ["dynamodb:Query"],
      resources: [storage.table.tableArn],
    });
    this.functions = createStepFunctions(this, {
      entry: "lambdas/restore/index.ts",
      service: SERVICES.restore,
      description: `sitesync ${env.name}: Restore step`,
      environment: {
        VERSION_BUCKET: storage.versionBucket.bucketName,
        INDEX_TABLE: storage.table.tableName,
        MANIFEST_QUEUE_URL: queue.queue.queueUrl,
        RESTORE_QUEUE_URL: this.restoreQueue.queueUrl,
        POSTSYNC_STATE_MACHINE_ARN: postSync.stateMachineArn,
        RETENTION_DAYS: String(env.retentionDays),
      } satisfies RestoreVariables,
      steps: {
        start: {
          statements: [
            readIndex,
            new iam.PolicyStatement({ sid: "WritePages", actions: ["s3:PutObject"], resources: [runs] }),
          ],
          wildcards: runsWildcard,
        },
        sitePage: {
          statements: [
            new iam.PolicyStatement({
              sid: "ReadAndWriteIndex",
              // UpdateItem: the generations of the directories it writes (aws/index/generations.ts).
              actions: ["dynamodb:Query", "dynamodb:BatchWriteItem", "dynamodb:UpdateItem"],
              resources: [storage.table.tableArn],
            }),
            new iam.PolicyStatement({
              sid: "RunArtifacts",
              actions: ["s3:GetObject", "s3:PutObject"],
              resources: [runs],
            }),
            new iam.PolicyStatement({
              sid: "SendManifests",
              actions: ["sqs:SendMessage"],
              resources: [queue.queue.queueArn],
            }),
          ],
          wildcards: runsWildcard,
          timeout: Duration.minutes(15),
        },
        hostPage: {
          statements: [
            readIndex,
            new iam.PolicyStatement({ sid: "ReadPages", actions: ["s3:GetObject"], resources: [runs] }),
            new iam.PolicyStatement({
              sid: "SendPlans",
              actions: ["sqs:SendMessage"],
              resources: [this.restoreQueue.queueArn],
            }),
          ],
          wildcards: runsWildcard,
          timeout: Duration.minutes(15),
        },
        finish: {
          statements: [
            new iam.PolicyStatement({
              sid: "RecordRun",
              actions: ["dynamodb:PutItem"],
              resources: [storage.table.tableArn],
            }),
            new iam.PolicyStatement({
              sid: "StartPostSync",
              actions: ["states:StartExecution"],
              resources: [postSync.stateMachineArn],
            }),
          ],
        },
      },
    });
    this.stateMachine = workflowStateMachine(this, restoreDefinition(this.functions), this.functions);
  }
}

export function restoreDefinition(fns: Record<RestoreStep, TaskFunction>): Record<string, unknown> {
  // State names are unique across a whole definition, Map iterators included.
  const pages = (step: "sitePage" | "hostPage", inner: string) => ({
    Type: "Map",
    ItemsPath: "$.restore.pages",
    // Bounded: each page reads the index and writes manifests or plans; four at once keeps the table calm.
    MaxConcurrency: 4,
    ItemSelector: { "restore.$": "$.restore", "page.$": "$$.Map.Item.Value" },
    ItemProcessor: {
      ProcessorConfig: { Mode: "INLINE" },
      StartAt: inner,
      States: {
        [inner]: {
          ...invokeTask(fns[step], { "restore.$": "$.restore", "page.$": "$.page" }),
          OutputPath: "$.Payload",
          Retry: [LAMBDA_TRANSIENT_RETRY],
          End: true,
        },
      },
    },
    ResultPath: "$.results",
    Next: "Finish",
  });
  return {
    Comment: "Restore: the site under a prefix to a point in time, or a plan for the host tree.",
    StartAt: "StartRestore",
    States: {
      StartRestore: {
        Type: "Task",
        Resource: "arn:aws:states:::lambda:invoke",
        Parameters: { FunctionName: fns.start.functionArn, "Payload.$": "$" },
        ...taskTimeout(fns.start),
        ResultSelector: { "restore.$": "$.Payload" },
        OutputPath: "$",
        Retry: [LAMBDA_TRANSIENT_RETRY],
        Next: "Target",
      },
      Target: {
        Type: "Choice",
        Choices: [{ Variable: "$.restore.target", StringEquals: "host", Next: "HostPages" }],
        Default: "SitePages",
      },
      SitePages: pages("sitePage", "RestoreSitePage"),
      HostPages: pages("hostPage", "PlanHostPage"),
      Finish: {
        ...invokeTask(fns.finish, { "restore.$": "$.restore", "results.$": "$.results" }),
        OutputPath: "$.Payload",
        Retry: [LAMBDA_TRANSIENT_RETRY],
        End: true,
      },
    },
  };
}
