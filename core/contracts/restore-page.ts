// The Restore workflow's page tasks (RestoreSitePage, PlanHostPage), one per page of directories in a Map:
// the restore request and the page in, what the page restored (or would) out, for Finish to total.
import * as z from "zod/mini";
import { count } from "./fields.ts";
import { restoreRequest } from "./restore-start.ts";

export const restorePageInput = z.object({ restore: restoreRequest, page: count });

export const pageResult = z.object({
  restored: count,
  removed: count,
  unchanged: count,
  unrestorable: count,
  sent: count,
  messages: count,
  /** The first keys of each kind, for a dry run's report. */
  sample: z.array(z.string()),
});

export type RestorePageInput = z.output<typeof restorePageInput>;
export type PageResult = z.output<typeof pageResult>;
