// PostSync's GenerateListingPage task, one or more per listing page of the Map: what became of each
// directory it reached, and where the page goes on (`next`, null once the page is done).
import * as z from "zod/mini";
import { count, runId } from "./fields.ts";

export const generateListingsInput = z.object({ runId, prefix: z.string(), page: count, from: z.optional(count) });

export const generateListingsOutput = z.object({
  outcomes: z.object({ written: count, unchanged: count, removed: count, "real-page": count, empty: count }),
  next: z.nullable(count),
});

export type GenerateListingsInput = z.output<typeof generateListingsInput>;
export type GenerateListingsOutput = z.output<typeof generateListingsOutput>;
