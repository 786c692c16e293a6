// The Restore functions' environment: lib/restore.ts writes it, lambdas/restore/ reads it once per
// container, and the local workflows build the same steps from the same variables of the template.
import * as z from "zod/mini";
import { awsRegion, decimalVariable, nonEmpty } from "./fields.ts";

export const restoreEnvironment = z.object({
  AWS_REGION: awsRegion,
  VERSION_BUCKET: nonEmpty("the version store bucket's name"),
  INDEX_TABLE: nonEmpty("the index table's name"),
  MANIFEST_QUEUE_URL: nonEmpty("the manifest queue's URL"),
  RESTORE_QUEUE_URL: nonEmpty("the host restore queue's URL"),
  POSTSYNC_STATE_MACHINE_ARN: nonEmpty("the PostSync state machine's ARN"),
  /** How far back a restore can go: the version store keeps staged bytes this long. */
  RETENTION_DAYS: decimalVariable("the retention in days"),
});

export type RestoreEnvironment = z.output<typeof restoreEnvironment>;
/** What the deployment sets; Lambda sets AWS_REGION itself. */
export type RestoreVariables = Omit<z.input<typeof restoreEnvironment>, "AWS_REGION">;
