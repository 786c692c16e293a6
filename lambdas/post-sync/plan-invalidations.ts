// PostSync step 4: the invalidation plan for the run — every changed key, its rewrite copies and every
// changed listing — collapsed and batched by the planner, stored for the Map state that sends it.
import type { S3Client } from "@aws-sdk/client-s3";
import { getChangePage, getJson, invalidationPlanKey, listingResultKey, putJson } from "../../aws/version-store.ts";
import { planInvalidations, type ChangedPath, type InvalidationBatch } from "../../core/invalidation-planner.ts";
import { rewriteCopies, type PublishRules } from "../../core/publish-rules.ts";

export interface InvalidationSettings {
  collapseAbove: number;
  maxPaths: number;
}

export interface PlanInvalidationsInput {
  runId: string;
  prefix: string;
  changePages: number;
  listingPages: number[];
}

export async function planRunInvalidations(
  input: PlanInvalidationsInput,
  deps: {
    s3: S3Client;
    versionBucket: string;
    rules: PublishRules;
    settings: InvalidationSettings;
    distributionId?: string;
  },
): Promise<{ batches: number[]; paths: number; requested: number }> {
  if (!deps.distributionId) return { batches: [], paths: 0, requested: 0 };
  const changes: ChangedPath[] = [];
  for (let page = 0; page < input.changePages; page++) {
    const changed = await getChangePage(deps.s3, deps.versionBucket, input.runId, page);
    for (const key of [...changed.puts, ...changed.deletes]) {
      changes.push({ kind: "object", key });
      for (const copy of rewriteCopies(key.slice(input.prefix.length), input.prefix, deps.rules))
        changes.push({ kind: "object", key: copy });
    }
  }
  for (const page of input.listingPages) {
    const result = await getJson<{ changed: string[] }>(
      deps.s3,
      deps.versionBucket,
      listingResultKey(input.runId, page),
    );
    for (const dir of result.changed) changes.push({ kind: "listing", dir });
  }
  const plan = planInvalidations(changes, deps.settings);
  await putJson(deps.s3, deps.versionBucket, invalidationPlanKey(input.runId), plan.batches);
  return { batches: plan.batches.map((_, i) => i), paths: plan.paths.length, requested: plan.requested };
}

export type { InvalidationBatch };
