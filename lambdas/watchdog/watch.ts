// The watchdog: how long since the agent last finished a run, for every site prefix it publishes. Runs on
// a schedule; the figure goes out as a CloudWatch metric whose alarm tells a person that publishing has
// stopped — a host that is down, a cron line removed, a run stuck holding the lock — which no error
// anywhere else would reveal, because a run that never starts fails nothing.
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { listHeartbeats } from "../../aws/index/runs.ts";

export interface AgentSilence {
  prefix: string;
  lastRunId: string;
  lastFinished: string;
  host: string;
  minutes: number;
}

export interface WatchResult {
  /** The longest silence over all prefixes; absent when no agent has ever finished a run. */
  minutesSinceLastRun?: number;
  agents: AgentSilence[];
}

export async function watchAgents(deps: {
  dynamodb: DynamoDBClient;
  table: string;
  now?: () => Date;
}): Promise<WatchResult> {
  const now = (deps.now?.() ?? new Date()).getTime();
  const agents = (await listHeartbeats(deps.dynamodb, deps.table)).map((beat) => ({
    prefix: beat.prefix,
    lastRunId: beat.runId,
    lastFinished: beat.finished,
    host: beat.host,
    minutes: Math.max(0, Math.floor((now - Date.parse(beat.finished)) / 60_000)),
  }));
  if (agents.length === 0) return { agents };
  return { minutesSinceLastRun: Math.max(...agents.map((a) => a.minutes)), agents };
}
