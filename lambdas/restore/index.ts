// Lambda entry points of the Restore steps: one bundle, one exported handler per step, all through the one
// entry wrapper.
import { createDynamoDbClient, createS3Client, createSfnClient, createSqsClient } from "../../aws/clients.ts";
import { restoreEnvironment } from "../../core/contracts/restore-environment.ts";
import { SERVICES } from "../../core/metric-names.ts";
import { lambdaEntry } from "../entry.ts";
import { restoreDeps, restoreSteps } from "./handlers.ts";

const entry = lambdaEntry({
  service: SERVICES.restore,
  environment: restoreEnvironment,
  build: (env) => {
    const clientConfig = { region: env.AWS_REGION };
    return restoreDeps(env, {
      s3: createS3Client(clientConfig),
      dynamodb: createDynamoDbClient(clientConfig),
      sqs: createSqsClient(clientConfig),
      sfn: createSfnClient(clientConfig),
    });
  },
});

export const start = entry.step(restoreSteps.start);
export const sitePage = entry.step(restoreSteps.sitePage);
export const hostPage = entry.step(restoreSteps.hostPage);
export const finish = entry.step(restoreSteps.finish);
