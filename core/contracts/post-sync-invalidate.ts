// PostSync's InvalidateBatch task: one batch of the run's plan to CloudFront.
import * as z from "zod/mini";
import { count, nonEmpty, runId } from "./fields.ts";

export const invalidateInput = z.object({ runId, batch: count });

export const invalidateOutput = z.object({ id: nonEmpty("the invalidation's id"), paths: count });

export type InvalidateInput = z.output<typeof invalidateInput>;
export type InvalidateOutput = z.output<typeof invalidateOutput>;
