// The metrics sitesync publishes, in one place: the handlers and the agent emit them under these names, and
// the CDK app's dashboard and alarms (lib/) read them back under the very same namespace, names and
// dimensions — a name changed on one side only would leave an alarm watching a metric nobody writes.
//
// Dimensions are few on purpose: every distinct (name, dimensions) pair is a custom metric CloudWatch bills.
// Handlers use service and Environment (the watchdog's from the start); the agent only service, because the
// host does not know its deployment's name, and each environment is an account of its own
// (config/environments.json).

export const METRICS_NAMESPACE = "sitesync";

/** The `service` dimension: the Powertools service name of each function, and the agent. */
export const SERVICES = {
  apply: "apply",
  postSync: "post-sync",
  restore: "restore",
  watchdog: "watchdog",
  agent: "agent",
} as const;

export type Service = (typeof SERVICES)[keyof typeof SERVICES];

/** CloudWatch units, spelled as CloudWatch and Powertools' MetricUnit spell them. */
export type MetricUnit = "Count" | "Seconds" | "Bytes";

export interface MetricSpec {
  name: string;
  unit: MetricUnit;
}

const metric = (name: string, unit: MetricUnit): MetricSpec => ({ name, unit });

/** Per apply invocation: its entries' outcomes, and one lag sample per manifest applied for the first time. */
export const APPLY_METRICS = {
  published: metric("FilesPublished", "Count"),
  deleted: metric("FilesDeleted", "Count"),
  /** Entries that arrived after a newer version of their key: acknowledged and dropped. */
  stale: metric("FilesStale", "Count"),
  /** Entries whose apply threw in a delivery (each delivery that fails counts again). */
  failed: metric("FilesFailed", "Count"),
  /** From the agent sending a manifest (after staging its bytes) to its entries being published. */
  lag: metric("ApplyLag", "Seconds"),
} as const;

/** Per Invalidate step: the paths of the batch sent to CloudFront (what CloudFront bills). */
export const POST_SYNC_METRICS = {
  invalidationPaths: metric("InvalidationPaths", "Count"),
} as const;

export const WATCHDOG_METRICS = {
  minutesSinceLastRun: metric("MinutesSinceLastRun", "Count"),
} as const;

/** Per agent sync run that changed or checked something (dry runs emit none). */
export const AGENT_METRICS = {
  scanSeconds: metric("ScanSeconds", "Seconds"),
  runSeconds: metric("RunSeconds", "Seconds"),
  filesScanned: metric("FilesScanned", "Count"),
  /** Uploads, deletions and re-sends the run planned. */
  changes: metric("Changes", "Count"),
  bytesStaged: metric("BytesStaged", "Bytes"),
  manifestsSent: metric("ManifestsSent", "Count"),
} as const;

/** The dimensions of a function's metrics. */
export const handlerDimensions = (service: Service, environment: string): Record<string, string> => ({
  service,
  Environment: environment,
});

/** The dimensions of the agent's run metrics. */
export const AGENT_DIMENSIONS: Record<string, string> = { service: SERVICES.agent };
