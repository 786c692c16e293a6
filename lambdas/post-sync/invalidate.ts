// PostSync step 5: send one batch of the plan. The caller reference makes a retried call idempotent;
// TooManyInvalidationsInProgress propagates with its name, and the state machine waits it out.
import type { S3Client } from "@aws-sdk/client-s3";
import type { InvalidationService } from "../../aws/cdn.ts";
import { getJson, invalidationPlanKey } from "../../aws/version-store.ts";
import { BadInputError } from "../../core/errors.ts";
import type { InvalidationBatch } from "../../core/invalidation-planner.ts";

export async function sendInvalidation(
  input: { runId: string; batch: number },
  deps: { s3: S3Client; versionBucket: string; cdn: InvalidationService; distributionId: string },
): Promise<{ id: string; paths: number }> {
  const batches = await getJson<InvalidationBatch[]>(deps.s3, deps.versionBucket, invalidationPlanKey(input.runId));
  const batch = batches[input.batch];
  if (!batch) throw new BadInputError(`run ${input.runId} has no invalidation batch ${input.batch}`);
  const created = await deps.cdn.createInvalidation({
    distributionId: deps.distributionId,
    paths: batch.paths,
    callerReference: `${input.runId}-${input.batch}`,
  });
  return { id: created.id, paths: batch.paths.length };
}
