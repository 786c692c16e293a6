// The host's replica of the index for one sync run, put together: the file opened (or made afresh), the
// index's directory generations read, what the apply handler published since learnt, and the three things
// the run uses — the diff's index source, the recorder of the run's own writes, and the settling of
// generations once those writes succeeded. DynamoDB stays the truth: with no usable replica (it cannot be
// opened, or fails mid-run) the run reads every directory from DynamoDB, as an agent without one does.
import type { AwsClients } from "../../aws/clients.ts";
import { indexEpoch, readGenerations } from "../../aws/index/generations.ts";
import type { RunRecord } from "../../aws/index/records.ts";
import { errorMessage } from "../../core/errors.ts";
import type { Logger } from "../../core/logger.ts";
import type { AgentConfig } from "../config.ts";
import type { IndexSource } from "../sync/diff.ts";
import { Freshness } from "./freshness.ts";
import { ReplicaSource } from "./index-source.ts";
import { ReplicaRecorder } from "./own-writes.ts";
import { learnPublication } from "./publication.ts";
import { openReplicaFile } from "./replica-file.ts";
import { IndexReplica } from "./replica.ts";

/** What a run's summary says about the replica. */
export interface ReplicaReport {
  /** The replica's file; absent when the run went without one. */
  file?: string;
  /** Why the replica was made afresh (every directory then read from DynamoDB once), if it was. */
  rebuilt?: string;
  /** Why the run went without a replica, if it did. */
  unavailable?: string;
  /** Directories the replica knew, and how many of them were not current at the start of the run. */
  directories: number;
  stale: number;
  /** Runs found fully applied at the start, their entries recorded as published. */
  appliedRuns: number;
  /** After the run's own writes: directories still current, and those left for the next run to read. */
  written?: { current: number; stale: number };
}

export interface HostReplica {
  /** For the diff; undefined without a replica (every directory from DynamoDB). */
  source: IndexSource | undefined;
  /** For the plan's execution: the run's index writes, once DynamoDB took them. */
  recorder: ReplicaRecorder | undefined;
  /** Run records read while learning publication, for the diff's run states. */
  runs: RunRecord[];
  report: ReplicaReport;
  /** After the run's writes all succeeded. */
  settle(): void;
  close(): void;
}

export async function openHostReplica(
  config: Pick<AgentConfig, "stateDir" | "table" | "region" | "endpoints" | "prefix">,
  clients: AwsClients,
  logger: Logger,
  options: { dryRun: boolean },
): Promise<HostReplica> {
  const { dynamodb } = clients;
  let replica: IndexReplica | undefined;
  try {
    // A dry run writes nothing to the index, not even the epoch: without one the replica is not trusted.
    const epoch = await indexEpoch(dynamodb, config.table, !options.dryRun);
    const identity = {
      table: config.table,
      region: config.region,
      endpoint: config.endpoints?.dynamodb ?? "",
      prefix: config.prefix,
      epoch,
    };
    const opened = openReplicaFile(config.stateDir, identity);
    replica = new IndexReplica(opened.db, opened.path, logger);
    if (opened.rebuilt) {
      logger.warn("the index replica was made afresh: this run reads the index from DynamoDB", {
        path: opened.path,
        reason: opened.rebuilt,
      });
    }
    const [generations, learnt] = await Promise.all([
      readGenerations(dynamodb, config.table, config.prefix),
      learnPublication(replica, dynamodb, config.table),
    ]);
    // A fully applied first sync marks a million rows at once: out of the log before the diff reads them.
    if (learnt.applied.length > 0) replica.checkpoint();
    const freshness = new Freshness(generations, replica.generations());
    const recorder = new ReplicaRecorder(replica, freshness.recorded);
    const report: ReplicaReport = {
      file: opened.path,
      ...(opened.rebuilt ? { rebuilt: opened.rebuilt } : {}),
      directories: freshness.recorded.size,
      stale: freshness.staleCount(),
      appliedRuns: learnt.applied.length,
    };
    const open = replica;
    return {
      source: new ReplicaSource(dynamodb, config.table, open, freshness, replica.seen()),
      recorder,
      runs: learnt.runs,
      report,
      settle() {
        report.written = recorder.settle();
      },
      close: () => open.close(),
    };
  } catch (err) {
    replica?.close();
    logger.warn("no index replica this run: every directory is read from DynamoDB", { error: errorMessage(err) });
    return {
      source: undefined,
      recorder: undefined,
      runs: [],
      report: { unavailable: errorMessage(err), directories: 0, stale: 0, appliedRuns: 0 },
      settle() {},
      close() {},
    };
  }
}
