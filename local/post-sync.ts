// PostSync on the local stack: the template's state machine behind the local Step Functions endpoint,
// its Task states mapped to the real step handlers, CloudFront played by the strict fake (the only one).
import type { AwsClients } from "../aws/clients.ts";
import type { PublishRules } from "../core/publish-rules.ts";
import type { EnvironmentConfig } from "../lib/environment-config.ts";
import { createPostSyncHandlers } from "../lambdas/post-sync/handlers.ts";
import { FakeCloudFront } from "./fake-cloudfront.ts";
import { workflowDefinition, type TaskHandlers } from "./state-machines.ts";
import { startStepFunctionsServer, type StepFunctionsServer } from "./step-functions-server.ts";
import type { CfnTemplate } from "./template.ts";

export const LOCAL_DISTRIBUTION_ID = "ELOCALSITESYNC";

export interface LocalPostSync {
  server: StepFunctionsServer;
  stateMachineArn: string;
  /** Null when the environment has no distribution. */
  cloudFront: FakeCloudFront | null;
}

export async function startLocalPostSync(
  template: CfnTemplate,
  environment: EnvironmentConfig,
  clients: AwsClients,
  names: { siteBucket: string; versionBucket: string; table: string; publishRules: PublishRules },
): Promise<LocalPostSync> {
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
  const { id, definition } = workflowDefinition(template, "PostSync");
  const stateMachineArn = `arn:aws:states:us-east-1:000000000000:stateMachine:${id}`;
  const server = await startStepFunctionsServer({
    machines: {
      [stateMachineArn]: {
        definition,
        handlers,
        // Waits between retries shortened for the local stack; RunNotApplied keeps a pace that lets the
        // local apply handler finish large runs. The retry rules themselves are the deployed ones.
        retryIntervalOverrides: { AwaitApplied: 500, GenerateListingPage: 50, InvalidateBatch: 250, PlanListings: 50, PlanInvalidations: 50 },
      },
    },
  });
  return { server, stateMachineArn, cloudFront };
}
