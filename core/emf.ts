// One CloudWatch embedded metric format (EMF) record: the metric values as top-level members and the
// `_aws` metadata that tells CloudWatch Logs to extract them. The agent writes it as a JSON log line for a
// CloudWatch agent or any log shipper to carry; other members a log line has (time, level, msg) are allowed
// beside it (CloudWatch's "Embedded metric format specification").
import type { MetricSpec } from "./metric-names.ts";

export interface EmfRecord {
  _aws: {
    Timestamp: number;
    CloudWatchMetrics: Array<{
      Namespace: string;
      Dimensions: string[][];
      Metrics: Array<{ Name: string; Unit: string }>;
    }>;
  };
  [member: string]: unknown;
}

/** Non-finite or negative values are left out: CloudWatch refuses them, and no figure here can be below 0. */
export function emfRecord(options: {
  namespace: string;
  dimensions: Record<string, string>;
  values: Array<[MetricSpec, number]>;
  at: Date;
}): EmfRecord {
  const values = options.values.filter(([, value]) => Number.isFinite(value) && value >= 0);
  const record: EmfRecord = {
    _aws: {
      Timestamp: options.at.getTime(),
      CloudWatchMetrics: [
        {
          Namespace: options.namespace,
          Dimensions: [Object.keys(options.dimensions)],
          Metrics: values.map(([spec]) => ({ Name: spec.name, Unit: spec.unit })),
        },
      ],
    },
  };
  for (const [name, value] of Object.entries(options.dimensions)) record[name] = value;
  for (const [spec, value] of values) record[spec.name] = value;
  return record;
}
