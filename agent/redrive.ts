// `sitesync redrive`: after the cause of dead-lettered manifests is fixed, send them back to the manifest
// queue for the apply function to take again.
import type { AwsClients } from "../aws/clients.ts";
import { redrive, type RedriveResult } from "../aws/dead-letter-queue.ts";
import { queueDepth } from "../aws/queue.ts";
import { ConfigError } from "../core/errors.ts";
import type { AgentConfig } from "./config.ts";

export type RedriveOutcome = RedriveResult & { dryRun: boolean; waiting?: number };

export async function runRedrive(
  config: AgentConfig,
  clients: AwsClients,
  options: { dryRun: boolean; source: string },
): Promise<RedriveOutcome> {
  const deadLetterUrl = config.deadLetterQueueUrl;
  if (!deadLetterUrl) {
    throw new ConfigError(
      options.source,
      "deadLetterQueueUrl",
      "is needed by redrive (the stack output DeadLetterQueueUrl; `sitesync config --from-stack` fills it)",
      '"https://sqs.…/NAME"',
    );
  }
  if (options.dryRun) {
    const depth = await queueDepth(clients.sqs, deadLetterUrl);
    return {
      dryRun: true,
      waiting: depth.visible + depth.inFlight,
      moved: 0,
      failed: [],
      notDeleted: [],
      arrivedDuring: 0,
    };
  }
  return { dryRun: false, ...(await redrive(clients.sqs, deadLetterUrl, config.queueUrl)) };
}

export function formatRedrive(r: RedriveOutcome): string {
  if (r.dryRun) return `Dead-letter queue: ${r.waiting} message(s) would be sent back (dry run: nothing moved)\n`;
  const lines = [`Redrive: ${r.moved} moved back to the manifest queue, ${r.failed.length} failed`];
  for (const f of r.failed) lines.push(`  ${f.messageId}: ${f.reason} (left in the dead-letter queue)`);
  if (r.notDeleted.length > 0) {
    lines.push(
      `  ${r.notDeleted.length} sent back but still in the dead-letter queue too (their delete failed): ` +
        "a later redrive sends them again, which the apply function takes as once",
    );
  }
  if (r.arrivedDuring > 0) {
    lines.push(`  ${r.arrivedDuring} dead-lettered while it ran (failed again?): left for the next redrive`);
  }
  return `${lines.join("\n")}\n`;
}
