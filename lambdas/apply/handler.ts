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
import { decodeManifest } from "../../core/manifest.ts";
import { applyManifest, type ApplyDeps } from "./apply-manifest.ts";

export interface ApplyHandlerDeps extends ApplyDeps {
  sqs: SQSClient;
  deadLetterQueueUrl: string;
}

export type SqsHandler = (event: SQSEvent, context?: Context) => Promise<SQSBatchResponse>;

/** The handler's dependencies from its environment; the Lambda entry and the local stack both build them so. */
export function applyDeps(
  env: ApplyEnvironment,
  clients: { s3: S3Client; dynamodb: DynamoDBClient; sqs: SQSClient },
  logger: Logger,
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
  };
}

/** The attributes a parked message carries beside its own, for the person who finds it in the queue. */
export { PARKED_ATTRIBUTES };

// An attribute counts against the message's 256 KiB; the whole message is in the logs.
const MAX_REASON_CHARS = 1_000;

export function createApplyHandler(deps: ApplyHandlerDeps): SqsHandler {
  const handleRecord = async (record: SQSRecord): Promise<void> => {
    const receiveCount = record.attributes.ApproximateReceiveCount;
    const log = withFields(deps.logger, { messageId: record.messageId });
    try {
      const manifest = decodeManifest(record.body, record.messageAttributes?.encoding?.stringValue, record.messageId);
      const outcome = await applyManifest(manifest, { ...deps, logger: withFields(log, { runId: manifest.runId }) });
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

  // A processor per invocation: it holds the batch's state, and the local stack invokes concurrently.
  return (event, context) =>
    processPartialResponse(event, handleRecord, new BatchProcessor(EventType.SQS), {
      ...(context ? { context } : {}),
      // Every record failing is still a partial response, so that one failure path serves every batch.
      throwOnFullBatchFailure: false,
    });
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
