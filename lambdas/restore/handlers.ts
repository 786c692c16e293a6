// The Restore steps as the state machine invokes them: each task's input and output contract, and the
// step it calls.
import type { RestoreEnvironment } from "../../core/contracts/restore-environment.ts";
import { restoreFinishInput, restoreFinishOutput } from "../../core/contracts/restore-finish.ts";
import { pageResult, restorePageInput, type RestorePageInput } from "../../core/contracts/restore-page.ts";
import { restoreRequest, restoreStartInput } from "../../core/contracts/restore-start.ts";
import { type Invocation, runStep, step } from "../entry.ts";
import { finishRestore, planHostPage, restoreSitePage, startRestore, type RestoreDeps } from "./steps.ts";

/** The steps' dependencies from their environment; the Lambda entry and the local stack both build them so. */
export function restoreDeps(
  env: RestoreEnvironment,
  clients: Pick<RestoreDeps, "s3" | "dynamodb" | "sqs" | "sfn">,
): RestoreDeps {
  return {
    s3: clients.s3,
    dynamodb: clients.dynamodb,
    sqs: clients.sqs,
    sfn: clients.sfn,
    versionBucket: env.VERSION_BUCKET,
    table: env.INDEX_TABLE,
    queueUrl: env.MANIFEST_QUEUE_URL,
    restoreQueueUrl: env.RESTORE_QUEUE_URL,
    postSyncStateMachineArn: env.POSTSYNC_STATE_MACHINE_ARN,
    retentionDays: env.RETENTION_DAYS,
  };
}

const pageRunId = (input: RestorePageInput) => input.restore.runId;

export const restoreSteps = {
  start: step({
    input: restoreStartInput,
    output: restoreRequest,
    run: (input, deps: RestoreDeps) => startRestore(input, deps),
  }),
  sitePage: step({
    input: restorePageInput,
    output: pageResult,
    runId: pageRunId,
    run: ({ restore, page }, deps: RestoreDeps) => restoreSitePage({ ...restore, page }, deps),
  }),
  hostPage: step({
    input: restorePageInput,
    output: pageResult,
    runId: pageRunId,
    run: ({ restore, page }, deps: RestoreDeps) => planHostPage({ ...restore, page }, deps),
  }),
  finish: step({
    input: restoreFinishInput,
    output: restoreFinishOutput,
    runId: (input) => input.restore.runId,
    run: (input, deps: RestoreDeps) => finishRestore(input, deps),
  }),
};

/** Each step as a function of its task input and invocation, for the local Step Functions server. */
export function createRestoreHandlers(deps: RestoreDeps) {
  return {
    start: (event: unknown, at?: Invocation) => runStep(restoreSteps.start, event, deps, at),
    sitePage: (event: unknown, at?: Invocation) => runStep(restoreSteps.sitePage, event, deps, at),
    hostPage: (event: unknown, at?: Invocation) => runStep(restoreSteps.hostPage, event, deps, at),
    finish: (event: unknown, at?: Invocation) => runStep(restoreSteps.finish, event, deps, at),
  };
}
