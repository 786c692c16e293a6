// PostSync's PlanInvalidations task: the run and its listing pages in; the batch numbers the Invalidate
// Map sends one at a time out, with the path counts for the execution's history.
import * as z from "zod/mini";
import { count, runId } from "./fields.ts";

export const planInvalidationsInput = z.object({
  runId,
  prefix: z.string(),
  changePages: count,
  listingPages: z.array(count),
});

export const planInvalidationsOutput = z.object({ batches: z.array(count), paths: count, requested: count });

export type PlanInvalidationsInput = z.output<typeof planInvalidationsInput>;
export type PlanInvalidationsOutput = z.output<typeof planInvalidationsOutput>;
