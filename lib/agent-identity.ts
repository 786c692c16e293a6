// The identity the FTP host's agent runs as, with exactly the actions the agent performs on exactly its
// resources: read and write the index, stage bytes under packs/ and objects/ of the version store, send
// manifests, read back what a host restore needs, list the site bucket for adoption. An EC2 instance role
// (no long-lived keys) or, for hosts outside AWS, an IAM user whose access key the operator creates and
// rotates (README: "The agent's credentials").
import { ArnFormat, Stack } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as sfn from "aws-cdk-lib/aws-stepfunctions";
import type * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import type { EnvironmentConfig } from "./environment-config.ts";
import type { ManifestQueue } from "./manifest-queue.ts";
import type { Storage } from "./storage.ts";
import { acknowledge, executionsFinding, wildcardFinding } from "./nag.ts";

export class AgentIdentity extends Construct {
  readonly role?: iam.Role;
  readonly instanceProfile?: iam.InstanceProfile;
  readonly user?: iam.User;
  readonly policy: iam.ManagedPolicy;

  constructor(
    scope: Construct,
    id: string,
    env: EnvironmentConfig,
    storage: Storage,
    queue: ManifestQueue,
    postSync: sfn.StateMachine,
    restoreQueue: sqs.IQueue,
    restore: sfn.IStateMachine,
  ) {
    super(scope, id);
    const postSyncExecutions = Stack.of(this).formatArn({
      service: "states",
      resource: "execution",
      resourceName: `${postSync.stateMachineName}:*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    this.policy = new iam.ManagedPolicy(this, "Policy", {
      description: `sitesync ${env.name}: what the agent on the FTP host may do`,
      statements: [
        new iam.PolicyStatement({
          sid: "ReadAndWriteIndex",
          // GetItem reads the records of earlier runs (settling them, deciding re-sends) and the table's
          // epoch (PutItem makes it once); UpdateItem also advances the generations of the directories the
          // agent writes, Query reads them (the host's replica of the index, agent/replica/). An open run's
          // marker is removed with BatchWriteItem, so the agent holds no single-item delete. DescribeTable gives
          // `sitesync status` the index's approximate size. BatchGetItem reads the few changed files of a
          // directory the replica knows current, rather than the whole directory.
          actions: [
            "dynamodb:Query",
            "dynamodb:GetItem",
            "dynamodb:BatchGetItem",
            "dynamodb:BatchWriteItem",
            "dynamodb:PutItem",
            "dynamodb:UpdateItem",
            "dynamodb:DescribeTable",
          ],
          resources: [storage.table.tableArn],
        }),
        new iam.PolicyStatement({
          sid: "StageBytes",
          actions: ["s3:PutObject", "s3:AbortMultipartUpload"],
          resources: [storage.versionBucket.arnForObjects("packs/*"), storage.versionBucket.arnForObjects("objects/*")],
        }),
        new iam.PolicyStatement({
          sid: "RecordRunChanges",
          actions: ["s3:PutObject"],
          resources: [storage.versionBucket.arnForObjects("runs/*")],
        }),
        new iam.PolicyStatement({
          sid: "SendManifests",
          actions: ["sqs:SendMessage"],
          resources: [queue.queue.queueArn],
        }),
        new iam.PolicyStatement({
          sid: "ReadVersionsForRestore",
          actions: ["s3:GetObject"],
          resources: [
            storage.versionBucket.arnForObjects("packs/*"),
            storage.versionBucket.arnForObjects("objects/*"),
            storage.siteBucket.arnForObjects("*"),
          ],
        }),
        // Adoption lists the site bucket. The listing also makes a missing site object answer NoSuchKey, not
        // AccessDenied, as S3 does only for a caller that may list.
        new iam.PolicyStatement({
          sid: "ListSiteForAdoption",
          actions: ["s3:ListBucket"],
          resources: [storage.siteBucket.bucketArn],
        }),
        new iam.PolicyStatement({
          sid: "TakeRestorePlans",
          actions: ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility"],
          resources: [restoreQueue.queueArn],
        }),
        new iam.PolicyStatement({
          sid: "StartPostSync",
          actions: ["states:StartExecution"],
          resources: [postSync.stateMachineArn],
        }),
        // `sitesync status` reads the queues' depth, samples the dead-letter queue's oldest message (received
        // with no visibility timeout), and lists the workflows' running and failed executions; `sitesync
        // redrive` moves dead letters back (SendManifests covers the send).
        new iam.PolicyStatement({
          sid: "ReadQueueDepth",
          actions: ["sqs:GetQueueAttributes"],
          resources: [queue.queue.queueArn, queue.deadLetterQueue.queueArn],
        }),
        new iam.PolicyStatement({
          sid: "RedriveDeadLetters",
          actions: ["sqs:ReceiveMessage", "sqs:DeleteMessage"],
          resources: [queue.deadLetterQueue.queueArn],
        }),
        new iam.PolicyStatement({
          sid: "ListWorkflowExecutions",
          actions: ["states:ListExecutions"],
          resources: [postSync.stateMachineArn, restore.stateMachineArn],
        }),
        // A run's PostSync result and invalidation count are in its execution's output.
        new iam.PolicyStatement({
          sid: "ReadPostSyncResults",
          actions: ["states:DescribeExecution"],
          resources: [postSyncExecutions],
        }),
      ],
    });
    for (const prefix of ["packs", "objects", "runs"]) {
      acknowledge(
        this.policy,
        wildcardFinding(storage.versionBucket, `/${prefix}/*`),
        `Staging keys are generated per run (${prefix}/<run>/…); ` +
          "the wildcard is confined to that prefix of the version store.",
      );
    }
    acknowledge(
      this.policy,
      executionsFinding(postSync),
      "Executions are named after their run; status reads the PostSync result of the runs it reports.",
    );
    acknowledge(
      this.policy,
      wildcardFinding(storage.siteBucket, "/*"),
      "A host restore reads adopted versions from the site object itself, which can be any key of the site.",
    );
    if (env.agent.kind === "ec2-role") {
      this.role = new iam.Role(this, "Role", {
        assumedBy: new iam.ServicePrincipal("ec2.amazonaws.com"),
        managedPolicies: [this.policy],
        description: `sitesync ${env.name}: the agent on the FTP host (EC2 instance profile)`,
      });
      this.instanceProfile = new iam.InstanceProfile(this, "InstanceProfile", { role: this.role });
    } else {
      this.user = new iam.User(this, "User", { managedPolicies: [this.policy] });
    }
  }
}
