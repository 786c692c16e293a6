// PostSync's GenerateListingPage task, one per listing page of the Map: what became of each directory.
import * as z from "zod/mini";
import { count, runId } from "./fields.ts";

export const generateListingsInput = z.object({ runId, prefix: z.string(), page: count });

export const generateListingsOutput = z.object({
  outcomes: z.object({ written: count, unchanged: count, removed: count, "real-page": count, empty: count }),
});

export type GenerateListingsInput = z.output<typeof generateListingsInput>;
export type GenerateListingsOutput = z.output<typeof generateListingsOutput>;
