// Sends manifests to SQS with SendMessageBatch: up to ten messages and 256 KiB per call, every failed
// entry retried with backoff, a sender fault (a message SQS will never accept) reported as permanent.
import { SendMessageBatchCommand, type SendMessageBatchRequestEntry, type SQSClient } from "@aws-sdk/client-sqs";
import { drainWithBackoff } from "./backoff.ts";
import { PermanentError } from "../core/errors.ts";
import { packManifests, SQS_MAX_BYTES, type ManifestEntry } from "../core/manifest.ts";

export class ManifestSender {
  readonly #sqs: SQSClient;
  readonly #queueUrl: string;
  readonly #runId: string;
  readonly #prefix: string;
  #nextSeq = 0;
  entriesSent = 0;
  messagesSent = 0;

  /** `firstSeq` lets several senders share a run without reusing message numbers. */
  constructor(sqs: SQSClient, queueUrl: string, runId: string, prefix: string, firstSeq = 0) {
    this.#sqs = sqs;
    this.#queueUrl = queueUrl;
    this.#runId = runId;
    this.#prefix = prefix;
    this.#nextSeq = firstSeq;
  }

  /**
   * Sends the entries as as many manifests as their size needs; resolves when SQS holds all of them, with
   * the number of entries and messages this call sent.
   */
  async send(entries: ManifestEntry[]): Promise<{ entries: number; messages: number }> {
    if (entries.length === 0) return { entries: 0, messages: 0 };
    const packed = packManifests(entries, { runId: this.#runId, prefix: this.#prefix, firstSeq: this.#nextSeq });
    this.#nextSeq += packed.length;
    const requests: SendMessageBatchRequestEntry[] = packed.map(({ manifest, encoded }) => ({
      Id: String(manifest.seq),
      MessageBody: encoded.body,
      MessageAttributes: {
        encoding: { DataType: "String", StringValue: encoded.encoding },
        runId: { DataType: "String", StringValue: this.#runId },
      },
    }));
    const batches: SendMessageBatchRequestEntry[][] = [];
    let batch: SendMessageBatchRequestEntry[] = [];
    let batchBytes = 0;
    for (const request of requests) {
      const bytes = Buffer.byteLength(request.MessageBody ?? "", "utf8") + 200;
      if (batch.length === 10 || (batch.length > 0 && batchBytes + bytes > SQS_MAX_BYTES)) {
        batches.push(batch);
        batch = [];
        batchBytes = 0;
      }
      batch.push(request);
      batchBytes += bytes;
    }
    if (batch.length > 0) batches.push(batch);
    await Promise.all(batches.map((b) => this.#sendBatch(b)));
    this.entriesSent += entries.length;
    this.messagesSent += packed.length;
    return { entries: entries.length, messages: packed.length };
  }

  async #sendBatch(batch: SendMessageBatchRequestEntry[]): Promise<void> {
    await drainWithBackoff(
      batch,
      async (pending) => {
        const res = await this.#sqs.send(new SendMessageBatchCommand({ QueueUrl: this.#queueUrl, Entries: pending }));
        const failed = res.Failed ?? [];
        const permanent = failed.find((f) => f.SenderFault);
        if (permanent) {
          throw new PermanentError(
            `SQS refused manifest message ${permanent.Id} of run ${this.#runId}: ${permanent.Code} ${permanent.Message ?? ""}`,
          );
        }
        const retry = new Set(failed.map((f) => f.Id));
        return pending.filter((entry) => retry.has(entry.Id));
      },
      `SendMessageBatch to ${this.#queueUrl}`,
    );
  }
}
