// The workflows on the local stack: the template's state machines (PostSync, Restore) behind the local
// Step Functions endpoint, their Task states mapped to the real step handlers, CloudFront played by the
// strict fake (the only one).
import type { SFNClient } from "@aws-sdk/client-sfn";
import { createSfnClient, type AwsClientConfig, type AwsClients } from "../aws/clients.ts";
import { createRestoreHandlers } from "../lambdas/restore/handlers.ts";
import type { PublishRules } from "../core/publish-rules.ts";
import type { EnvironmentConfig } from "../lib/environment-config.ts";
import { createPostSyncHandlers } from "../lambdas/post-sync/handlers.ts";
import { FakeCloudFront } from "./fake-cloudfront.ts";
import { workflowDefinition, type TaskHandlers } from "./state-machines.ts";
import { startStepFunctionsServer, type StepFunctionsServer } from "./step-functions-server.ts";
import type { CfnTemplate } from "./template.ts";

export const LOCAL_DISTRIBUTION_ID = "ELOCALSITESYNC";

export interface LocalWorkflows {
  server: StepFunctionsServer;
  stateMachineArn: string;
  restoreStateMachineArn: string;
  /** Null when the environment has no distribution. */
  cloudFront: FakeCloudFront | null;
  stop(): Promise<void>;
}

export async function startLocalWorkflows(
  template: CfnTemplate,
  environment: EnvironmentConfig,
  clients: AwsClients,
  clientConfig: AwsClientConfig,
  names: { siteBucket: string; versionBucket: string; table: string; publishRules: PublishRules; queueUrl: string; restoreQueueUrl: string },
): Promise<LocalWorkflows> {
  const cloudFront = environment.distribution.kind === "none" ? null : new FakeCloudFront({ distributions: [LOCAL_DISTRIBUTION_ID] });
  const steps = createPostSyncHandlers({
    s3: clients.s3,
    dynamodb: clients.dynamodb,
    siteBucket: names.siteBucket,
    versionBucket: names.versionBucket,
    table: names.table,
    rules: names.publishRules,
    invalidation: { collapseAbove: environment.postSync.collapseAbove, maxPaths: environment.postSync.maxPaths },
    ...(cloudFront ? { cdn: { service: cloudFront, distributionId: LOCAL_DISTRIBUTION_ID } } : {}),
  });
  // Task states name their function by logical id; each maps to the step that function deploys.
  const handlers: TaskHandlers = {
    WorkflowsPostSyncAwaitRun: steps.awaitRun,
    WorkflowsPostSyncPlanListings: steps.planListings,
    WorkflowsPostSyncGenerateListings: steps.generateListings,
    WorkflowsPostSyncPlanInvalidations: steps.planInvalidations,
    WorkflowsPostSyncInvalidate: steps.invalidate,
  };
  const postSync = workflowDefinition(template, "PostSync");
  const restore = workflowDefinition(template, "Restore");
  const arn = (id: string) => `arn:aws:states:us-east-1:000000000000:stateMachine:${id}`;
  // Restore starts PostSync through this very endpoint, which exists only once the server is up.
  let sfn: SFNClient | undefined;
  const restoreSteps = createRestoreHandlers({
    s3: clients.s3,
    dynamodb: clients.dynamodb,
    sqs: clients.sqs,
    get sfn() {
      if (!sfn) throw new Error("the local Step Functions endpoint is not up yet");
      return sfn;
    },
    versionBucket: names.versionBucket,
    table: names.table,
    queueUrl: names.queueUrl,
    restoreQueueUrl: names.restoreQueueUrl,
    postSyncStateMachineArn: arn(postSync.id),
    retentionDays: environment.retentionDays,
  });
  const server = await startStepFunctionsServer({
    machines: {
      [arn(postSync.id)]: {
        definition: postSync.definition,
        handlers,
        // Waits between retries shortened for the local stack. The local environment's awaitMinutes (240)
        // gives AwaitApplied about 245 attempts: at 1 s each, room for the local apply of a 100,000-file
        // first sync. The retry rules themselves are the deployed ones.
        retryIntervalOverrides: { AwaitApplied: 1000, GenerateListingPage: 50, InvalidateBatch: 250, PlanListings: 50, PlanInvalidations: 50 },
      },
      [arn(restore.id)]: {
        definition: restore.definition,
        handlers: {
          WorkflowsRestoreStart: restoreSteps.start,
          WorkflowsRestoreSitePage: restoreSteps.sitePage,
          WorkflowsRestoreHostPage: restoreSteps.hostPage,
          WorkflowsRestoreFinish: restoreSteps.finish,
        },
        retryIntervalOverrides: { StartRestore: 50, RestoreSitePage: 50, PlanHostPage: 50, Finish: 50 },
      },
    },
  });
  sfn = createSfnClient({ ...clientConfig, endpoints: { ...clientConfig.endpoints, sfn: server.endpoint } });
  return { server, stateMachineArn: arn(postSync.id), restoreStateMachineArn: arn(restore.id), cloudFront, stop: async () => { await server.stop(); sfn?.destroy(); } };
}
