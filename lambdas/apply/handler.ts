// The apply handler, as the SQS event source invokes it: decode each record, apply its manifest, and report
// the records to deliver again in a partial batch response (Powertools batch processing).
//
// A record that can never apply — a PermanentError: a body that is not JSON or not a manifest, one that
// breaks its contract, one whose every failed entry failed permanently — is not retried like a throttle.
// It is parked in the dead-letter queue at once, its body and attributes intact and attributes saying why,
// and reported as processed so SQS deletes it: the dead-letter alarm fires within minutes, instead of
// after maxReceiveCount deliveries a visibility timeout apart. Anything else is delivered again.
import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { S3Client } from "@aws-sdk/client-s3";
import type { SQSClient } from "@aws-sdk/client-sqs";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { PARKED_ATTRIBUTES, parkMessage } from "../../aws/dead-letter-queue.ts";
import type { ApplyEnvironment } from "../../core/contracts/apply-environment.ts";
import { errorMessage, PermanentError, RetryableError } from "../../core/errors.ts";
import type { Logger } from "../../core/logger.ts";
import { decodeManifest, type Manifest } from "../../core/manifest.ts";
import { APPLY_METRICS, SERVICES } from "../../core/metric-names.ts";
import { loggedMetrics, type Figures, type MetricsPublisher } from "../metrics.ts";
import { applyManifest, type ApplyDeps, type EntryOutcome } from "./apply-manifest.ts";

export interface ApplyHandlerDeps extends ApplyDeps {
  sqs: SQSClient;
  deadLetterQueueUrl: string;
  /** Where each invocation's figures go: entries published, deleted, stale and failed, and the apply lag. */
  metrics: MetricsPublisher;
}

export type SqsHandler = (event: SQSEvent, context?: Context) => Promise<SQSBatchResponse>;

/** The handler's dependencies from its environment; the Lambda entry and the local stack both build them so. */
export function applyDeps(
  env: ApplyEnvironment,
  clients: { s3: S3Client; dynamodb: DynamoDBClient; sqs: SQSClient },
  logger: Logger,
  metrics: MetricsPublisher = loggedMetrics(SERVICES.apply, env.SITESYNC_ENVIRONMENT, logger),
): ApplyHandlerDeps {
  return {
    s3: clients.s3,
    dynamodb: clients.dynamodb,
    sqs: clients.sqs,
    siteBucket: env.SITE_BUCKET,
    versionBucket: env.VERSION_BUCKET,
    table: env.INDEX_TABLE,
    rules: env.PUBLISH_RULES,
    deadLetterQueueUrl: env.DEAD_LETTER_QUEUE_URL,
    logger,
    metrics,
  };
}

/** The attributes a parked message carries beside its own, for the person who finds it in the queue. */
export { PARKED_ATTRIBUTES };

// An attribute counts against the message's 256 KiB; the whole message is in the logs.
const MAX_REASON_CHARS = 1_000;

export function createApplyHandler(deps: ApplyHandlerDeps): SqsHandler {
  const handleRecord = async (record: SQSRecord, tally: InvocationTally): Promise<void> => {
    const receiveCount = record.attributes.ApproximateReceiveCount;
    const log = withFields(deps.logger, { messageId: record.messageId });
    try {
      const manifest = decodeManifest(record.body, record.messageAttributes?.encoding?.stringValue, record.messageId);
      const outcome = await applyManifest(manifest, {
        ...deps,
        logger: withFields(log, { runId: manifest.runId }),
        onEntries: (counts, failed) => tally.entries(counts, failed),
      });
      // A redelivery of a message applied before is not published now: its lag was sampled then.
      if (outcome.counted) tally.applied(manifest, Date.now());
      log.info("manifest applied", {
        runId: manifest.runId,
        seq: manifest.seq,
        entries: manifest.entries.length,
        ...outcome.counts,
        conflicts: outcome.conflicts,
        repaired: outcome.repaired,
        redelivered: !outcome.counted,
      });
    } catch (err) {
      if (!(err instanceof PermanentError)) {
        log.error("manifest failed; SQS will deliver it again", { receiveCount, error: errorMessage(err) });
        throw err;
      }
      await park(record, err, deps, log);
    }
  };

  // A processor and a tally per invocation: they hold the batch's state, and the local stack invokes
  // concurrently. The figures go out once, whatever the batch's outcome.
  return async (event, context) => {
    const tally = new InvocationTally();
    try {
      return await processPartialResponse(
        event,
        (record: SQSRecord) => handleRecord(record, tally),
        new BatchProcessor(EventType.SQS),
        {
          ...(context ? { context } : {}),
          // Every record failing is still a partial response, so that one failure path serves every batch.
          throwOnFullBatchFailure: false,
        },
      );
    } finally {
      deps.metrics.publish(tally.figures());
    }
  };
}

/** What one invocation did to its entries, and how long its manifests took from the agent to the site. */
class InvocationTally {
  readonly #counts: Record<EntryOutcome | "failed", number> = {
    published: 0,
    deleted: 0,
    superseded: 0,
    done: 0,
    failed: 0,
  };
  readonly #lagSeconds: number[] = [];

  entries(counts: Record<EntryOutcome, number>, failed: number): void {
    for (const outcome of Object.keys(counts) as EntryOutcome[]) this.#counts[outcome] += counts[outcome];
    this.#counts.failed += failed;
  }

  /** A manifest from an agent that stamps when it sent (older ones do not) gives one lag sample. */
  applied(manifest: Manifest, now: number): void {
    if (manifest.sent === undefined) return;
    // A host clock ahead of AWS's would make the lag negative: it is at least zero.
    this.#lagSeconds.push(Math.max(0, (now - Date.parse(manifest.sent)) / 1000));
  }

  figures(): Figures {
    return [
      [APPLY_METRICS.published, this.#counts.published],
      [APPLY_METRICS.deleted, this.#counts.deleted],
      [APPLY_METRICS.stale, this.#counts.superseded],
      [APPLY_METRICS.failed, this.#counts.failed],
      ...this.#lagSeconds.map((lag): Figures[number] => [APPLY_METRICS.lag, lag]),
    ];
  }
}

async function park(record: SQSRecord, err: PermanentError, deps: ApplyHandlerDeps, log: Logger): Promise<void> {
  const receiveCount = record.attributes.ApproximateReceiveCount;
  // The agent's attributes are strings; any other kind is named in the log rather than carried.
  const attributes: Record<string, string> = {};
  const others: string[] = [];
  for (const [name, a] of Object.entries(record.messageAttributes ?? {})) {
    if (a.dataType === "String" && a.stringValue !== undefined) attributes[name] = a.stringValue;
    else others.push(name);
  }
  try {
    const dropped = await parkMessage(deps.sqs, deps.deadLetterQueueUrl, {
      body: record.body,
      attributes,
      reason: {
        [PARKED_ATTRIBUTES.reason]: err.message.slice(0, MAX_REASON_CHARS),
        [PARKED_ATTRIBUTES.error]: err.name,
        [PARKED_ATTRIBUTES.sourceMessageId]: record.messageId,
        [PARKED_ATTRIBUTES.receiveCount]: receiveCount,
      },
    });
    log.error("manifest can never apply; parked in the dead-letter queue", {
      receiveCount,
      errorName: err.name,
      error: err.message,
      ...(dropped.length + others.length > 0 ? { attributesNotKept: [...others, ...dropped] } : {}),
    });
  } catch (parkError) {
    log.error("manifest can never apply and could not be parked; SQS's redrive will park it", {
      receiveCount,
      error: err.message,
      parkError: errorMessage(parkError),
    });
    throw new RetryableError(`message ${record.messageId} could not be parked: ${errorMessage(parkError)}`, {
      cause: err,
    });
  }
}

/** Every line of `logger` with `fields` added: the message and run a line is about. */
function withFields(logger: Logger, fields: Record<string, unknown>): Logger {
  return {
    debug: (msg, more) => logger.debug(msg, { ...fields, ...more }),
    info: (msg, more) => logger.info(msg, { ...fields, ...more }),
    warn: (msg, more) => logger.warn(msg, { ...fields, ...more }),
    error: (msg, more) => logger.error(msg, { ...fields, ...more }),
    progress: (line) => logger.progress(line),
  };
}
