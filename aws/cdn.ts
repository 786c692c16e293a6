// The CDN port: what the product needs from CloudFront invalidations, and the adapter over the real SDK.
// Errors pass through untouched: the SDK's exceptions carry the service's error code as their name
// (TooManyInvalidationsInProgress, BatchTooLarge, InvalidArgument, NoSuchDistribution, ...), and the
// PostSync workflow's Retry matches on that name.
import { CreateInvalidationCommand, GetInvalidationCommand, type CloudFrontClient } from "@aws-sdk/client-cloudfront";

export type InvalidationStatus = "InProgress" | "Completed";

export interface InvalidationService {
  createInvalidation(input: {
    distributionId: string;
    paths: string[];
    callerReference: string;
  }): Promise<{ id: string; status: InvalidationStatus }>;
  getInvalidation(input: { distributionId: string; id: string }): Promise<{ id: string; status: InvalidationStatus }>;
}

export function cloudFrontInvalidations(client: CloudFrontClient): InvalidationService {
  return {
    async createInvalidation({ distributionId, paths, callerReference }) {
      const out = await client.send(
        new CreateInvalidationCommand({
          DistributionId: distributionId,
          InvalidationBatch: { CallerReference: callerReference, Paths: { Quantity: paths.length, Items: paths } },
        }),
      );
      return summary(out.Invalidation);
    },
    async getInvalidation({ distributionId, id }) {
      const out = await client.send(new GetInvalidationCommand({ DistributionId: distributionId, Id: id }));
      return summary(out.Invalidation);
    },
  };
}

function summary(invalidation: { Id?: string; Status?: string } | undefined): {
  id: string;
  status: InvalidationStatus;
} {
  const { Id, Status } = invalidation ?? {};
  // The API documents only these two statuses; anything else means the response is not what we think it is.
  if (!Id || (Status !== "InProgress" && Status !== "Completed")) {
    throw new Error(`unexpected CloudFront invalidation in response: ${JSON.stringify(invalidation)}`);
  }
  return { id: Id, status: Status };
}
