// PostSync's PlanListings task: the run as AwaitApplied described it in; the listing pages out, which the
// GenerateListings Map iterates and PlanInvalidations reads back.
import * as z from "zod/mini";
import { count, runId } from "./fields.ts";

export const planListingsInput = z.object({ runId, prefix: z.string(), changePages: count });

export const planListingsOutput = z.object({ pages: z.array(count), directories: count });

export type PlanListingsInput = z.output<typeof planListingsInput>;
export type PlanListingsOutput = z.output<typeof planListingsOutput>;
