// A finished sync run's figures as one CloudWatch embedded metric record, which the agent logs as a JSON
// line (core/logger.ts `metric`) for a CloudWatch agent or another log shipper on the host to carry. Built
// with core/emf.ts rather than Powertools Metrics: Powertools writes to standard output through a console of
// its own, where the agent's stdout is the command's result, and is switched off by POWERTOOLS_DEV; the
// agent's line belongs on its log stream, and the record is a few fields.
import { emfRecord, type EmfRecord } from "../core/emf.ts";
import { AGENT_DIMENSIONS, AGENT_METRICS, METRICS_NAMESPACE } from "../core/metric-names.ts";
import type { SyncResult } from "./sync/sync.ts";

export function runMetrics(result: SyncResult, at: Date): EmfRecord {
  const p = result.plan;
  const record = emfRecord({
    namespace: METRICS_NAMESPACE,
    dimensions: AGENT_DIMENSIONS,
    values: [
      [AGENT_METRICS.scanSeconds, result.scanSeconds],
      [AGENT_METRICS.runSeconds, result.seconds],
      [AGENT_METRICS.filesScanned, result.diff.files],
      [AGENT_METRICS.changes, p.put + p.delete + p.resend],
      [AGENT_METRICS.bytesStaged, result.publish?.stagedBytes ?? 0],
      [AGENT_METRICS.manifestsSent, result.publish?.messagesSent ?? 0],
    ],
    at,
  });
  // Not a metric: which run the figures are of, for a person reading the log.
  return { ...record, runId: result.runId };
}
