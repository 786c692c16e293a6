// A host restore plan message: the Restore workflow's HostPage step (lambdas/restore/steps.ts, through
// core/host-plan.ts) writes it to the restore queue; the agent's `sitesync restore --from-queue` reads it.
// A plan comes in pages, and a page in parts: every part names its page, its part and both totals, so
// the agent knows when it holds the whole plan (only then may it remove files the plan does not hold).
import * as z from "zod/mini";
import { count, desiredPut, nonEmpty, positiveCount, runId } from "./fields.ts";

export const HOST_PLAN_VERSION = 2;

const hostPlanFile = z.object({
  key: nonEmpty("a key"),
  desired: desiredPut,
  /** The version the site bucket holds now, when known: its object can stand in for expired staged bytes. */
  publishedVersion: z.optional(z.string()),
});

export const hostPlanMessage = z
  .object({
    v: z.literal(HOST_PLAN_VERSION, { error: `expected plan version ${HOST_PLAN_VERSION}` }),
    /** The restore run's id. */
    restoreId: runId,
    /** The agent's key prefix in the bucket; a plan is only for a host that syncs this prefix. */
    sitePrefix: z.string(),
    /** Key prefix restored, site prefix included. */
    prefix: z.string(),
    /** Page of this part, from 0, and how many pages the plan has. */
    page: count,
    pages: positiveCount,
    /** Part of this message within its page, from 0, and how many parts the page has. */
    part: count,
    parts: positiveCount,
    files: z.array(hostPlanFile),
    /** Keys the restore cannot bring back: reported, and their files are never removed as extra. */
    unrestorable: z.array(z.object({ key: z.string(), reason: z.string() })),
  })
  .check(
    z.superRefine((plan, ctx) => {
      const problem = (path: PropertyKey[], message: string, input: unknown) =>
        ctx.issues.push({ code: "custom", path, message, input });
      if (!plan.prefix.startsWith(plan.sitePrefix)) {
        problem(["prefix"], `expected a key prefix under "sitePrefix" (${plan.sitePrefix})`, plan.prefix);
      }
      // A total that is itself wrong has its own issue already.
      const below = (index: "page" | "part", total: "pages" | "parts") => {
        if (positiveCount.safeParse(plan[total]).success && plan[index] >= plan[total]) {
          problem([index], `expected a ${index} number below "${total}" (${plan[total]})`, plan[index]);
        }
      };
      below("page", "pages");
      below("part", "parts");
      plan.files.forEach((file, i) => {
        if (!file.key.startsWith(plan.prefix)) {
          problem(["files", i, "key"], `expected a key under "prefix" (${plan.prefix})`, file.key);
        }
      });
    }),
  );

export type HostPlanFile = z.output<typeof hostPlanFile>;
export type HostPlanMessage = z.output<typeof hostPlanMessage>;
