// The functions' metrics, in CloudWatch embedded metric format through Powertools Metrics: the namespace,
// names and dimensions of core/metric-names.ts, which the dashboard and the alarms read. A handler publishes
// once per invocation, one line with all of its figures. In Lambda the line goes to standard output, where
// the Powertools logger writes too and CloudWatch Logs extracts the metrics; the local stack passes `write`,
// which puts the line on the log stream its handlers log to.
import { Metrics } from "@aws-lambda-powertools/metrics";
import type { Logger } from "../core/logger.ts";
import { METRICS_NAMESPACE, type MetricSpec, type Service } from "../core/metric-names.ts";

/** One invocation's figures; a metric named more than once is a list of samples (a lag per manifest). */
export type Figures = Array<[MetricSpec, number]>;

export interface MetricsPublisher {
  publish(figures: Figures): void;
}

/** Samples of one metric one EMF line may hold. */
const MAX_VALUES = 100;

export function metricsPublisher(options: {
  service: Service;
  environment: string;
  /** Where each EMF record goes instead of standard output. */
  write?: (emf: Record<string, unknown>) => void;
}): MetricsPublisher {
  const { write } = options;
  return {
    publish(figures) {
      // An instance per invocation: the local stack runs invocations of one handler concurrently.
      const metrics = new Metrics({
        namespace: METRICS_NAMESPACE,
        serviceName: options.service,
        defaultDimensions: { Environment: options.environment },
      });
      const flush = () => {
        if (!metrics.hasStoredMetrics()) return;
        if (!write) {
          metrics.publishStoredMetrics();
          return;
        }
        write(metrics.serializeMetrics() as unknown as Record<string, unknown>);
        metrics.clearMetrics();
      };
      // Powertools publishes by itself, to standard output, when a metric reaches 100 samples: flush first.
      const samples = new Map<string, number>();
      for (const [spec, value] of figures) {
        if ((samples.get(spec.name) ?? 0) === MAX_VALUES - 1) {
          flush();
          samples.clear();
        }
        samples.set(spec.name, (samples.get(spec.name) ?? 0) + 1);
        metrics.addMetric(spec.name, spec.unit, value);
      }
      flush();
    },
  };
}

/** The local stack's publisher: each EMF record as an info line of the handler's logger. */
export const loggedMetrics = (service: Service, environment: string, logger: Logger): MetricsPublisher =>
  metricsPublisher({ service, environment, write: (emf) => logger.info("metrics", emf) });
