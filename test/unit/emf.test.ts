// The agent's CloudWatch embedded metric records (core/emf.ts): what CloudWatch needs to extract each value.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { emfRecord } from "../../core/emf.ts";
import { AGENT_DIMENSIONS, AGENT_METRICS, METRICS_NAMESPACE, type MetricSpec } from "../../core/metric-names.ts";

const AT = new Date("2026-12-02T09:00:00.000Z");

describe("emfRecord", () => {
  const cases: Array<{ name: string; values: Array<[MetricSpec, number]>; metrics: string[]; members: object }> = [
    {
      name: "each value a top-level member, named with its unit in the metadata",
      values: [
        [AGENT_METRICS.scanSeconds, 1.5],
        [AGENT_METRICS.bytesStaged, 2048],
      ],
      metrics: ["ScanSeconds:Seconds", "BytesStaged:Bytes"],
      members: { ScanSeconds: 1.5, BytesStaged: 2048 },
    },
    {
      name: "zero is a value (a run that changed nothing)",
      values: [[AGENT_METRICS.changes, 0]],
      metrics: ["Changes:Count"],
      members: { Changes: 0 },
    },
    {
      name: "values CloudWatch refuses are left out: negative, NaN, infinite",
      values: [
        [AGENT_METRICS.changes, -1],
        [AGENT_METRICS.filesScanned, Number.NaN],
        [AGENT_METRICS.runSeconds, Number.POSITIVE_INFINITY],
        [AGENT_METRICS.manifestsSent, 3],
      ],
      metrics: ["ManifestsSent:Count"],
      members: { ManifestsSent: 3 },
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const record = emfRecord({
        namespace: METRICS_NAMESPACE,
        dimensions: AGENT_DIMENSIONS,
        values: c.values,
        at: AT,
      });
      const [directive] = record._aws.CloudWatchMetrics;
      assert.equal(record._aws.Timestamp, AT.getTime());
      assert.equal(directive?.Namespace, "sitesync");
      assert.deepEqual(directive?.Dimensions, [["service"]]);
      assert.deepEqual(
        directive?.Metrics.map((m) => `${m.Name}:${m.Unit}`),
        c.metrics,
      );
      const { _aws, ...members } = record;
      assert.deepEqual(members, { service: "agent", ...c.members });
    });
  }

  test("every dimension named in the metadata is a member (CloudWatch drops the record otherwise)", () => {
    const record = emfRecord({
      namespace: "sitesync",
      dimensions: { service: "apply", Environment: "prod" },
      values: [[AGENT_METRICS.changes, 1]],
      at: AT,
    });
    for (const name of record._aws.CloudWatchMetrics[0]!.Dimensions[0]!) assert.equal(typeof record[name], "string");
    assert.deepEqual(record._aws.CloudWatchMetrics[0]!.Dimensions, [["service", "Environment"]]);
  });
});
