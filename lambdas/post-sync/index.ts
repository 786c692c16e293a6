// Lambda entry points of the PostSync steps: one bundle, one exported handler per step (each deployed as
// its own function with its own role), all through the one entry wrapper.
import { cloudFrontInvalidations } from "../../aws/cdn.ts";
import {
  createCloudFrontClient,
  createDynamoDbClient,
  createKeyValueStoreClient,
  createS3Client,
} from "../../aws/clients.ts";
import { cloudFrontKeyValueStore } from "../../aws/edge-store.ts";
import { postSyncEnvironment } from "../../core/contracts/post-sync-environment.ts";
import { SERVICES } from "../../core/metric-names.ts";
import { lambdaEntry } from "../entry.ts";
import { metricsPublisher } from "../metrics.ts";
import { postSyncDeps, postSyncSteps } from "./handlers.ts";

const entry = lambdaEntry({
  service: SERVICES.postSync,
  environment: postSyncEnvironment,
  build: (env) => {
    const clientConfig = { region: env.AWS_REGION };
    return postSyncDeps(
      env,
      {
        s3: createS3Client(clientConfig),
        dynamodb: createDynamoDbClient(clientConfig),
        invalidations: () => cloudFrontInvalidations(createCloudFrontClient(clientConfig)),
        keyValueStore: (arn) => cloudFrontKeyValueStore(createKeyValueStoreClient(clientConfig), arn),
      },
      metricsPublisher({ service: SERVICES.postSync, environment: env.SITESYNC_ENVIRONMENT }),
    );
  },
});

export const awaitRun = entry.step(postSyncSteps.awaitRun);
export const planListings = entry.step(postSyncSteps.planListings);
export const generateListings = entry.step(postSyncSteps.generateListings);
export const planInvalidations = entry.step(postSyncSteps.planInvalidations);
export const invalidate = entry.step(postSyncSteps.invalidate);
