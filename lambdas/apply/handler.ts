// The apply handler, as the SQS event source invokes it: decode each record, apply its manifest, report
// the records that failed so that only they are retried (partial batch response).
import type { SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { errorMessage } from "../../core/errors.ts";
import { decodeManifest } from "../../core/manifest.ts";
import { applyManifest, type ApplyDeps } from "./apply-manifest.ts";

export type SqsHandler = (event: SQSEvent) => Promise<SQSBatchResponse>;

export function createApplyHandler(deps: ApplyDeps): SqsHandler {
  const handleRecord = async (record: SQSRecord): Promise<void> => {
    const encoding = record.messageAttributes?.encoding?.stringValue;
    const manifest = decodeManifest(record.body, encoding, record.messageId);
    const outcome = await applyManifest(manifest, deps);
    deps.logger.info("manifest applied", {
      runId: manifest.runId,
      seq: manifest.seq,
      entries: manifest.entries.length,
      ...outcome.counts,
      conflicts: outcome.conflicts,
      repaired: outcome.repaired,
      redelivered: !outcome.counted,
    });
  };

  return async (event) => {
    const results = await Promise.allSettled(event.Records.map(handleRecord));
    const batchItemFailures: SQSBatchResponse["batchItemFailures"] = [];
    results.forEach((result, i) => {
      if (result.status === "fulfilled") return;
      const record = event.Records[i]!;
      batchItemFailures.push({ itemIdentifier: record.messageId });
      deps.logger.error("manifest failed; SQS will deliver it again", {
        messageId: record.messageId,
        receiveCount: record.attributes.ApproximateReceiveCount,
        error: errorMessage(result.reason),
        retryable: (result.reason as { retryable?: boolean })?.retryable ?? true,
      });
    });
    return { batchItemFailures };
  };
}
