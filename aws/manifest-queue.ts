// The manifest queue: a run's entries packed into manifests (core/manifest.ts) and sent, each message
// carrying its encoding and run as attributes for the apply handler.
import type { SQSClient } from "@aws-sdk/client-sqs";
import { packManifests, type ManifestEntry } from "../core/manifest.ts";
import { sendMessages } from "./queue.ts";

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
   * the number of entries and messages this call sent, and the sender's totals once it had.
   */
  async send(entries: ManifestEntry[]): Promise<SendCounts> {
    if (entries.length === 0) return this.#counts(0, 0);
    const packed = packManifests(entries, {
      runId: this.#runId,
      prefix: this.#prefix,
      firstSeq: this.#nextSeq,
      sent: new Date().toISOString(),
    });
    this.#nextSeq += packed.length;
    const messages = packed.map(({ encoded }) => ({
      body: encoded.body,
      attributes: { encoding: encoded.encoding, runId: this.#runId },
    }));
    await sendMessages(
      this.#sqs,
      this.#queueUrl,
      messages,
      (i) => `manifest message ${packed[i]!.manifest.seq} of run ${this.#runId}`,
    );
    this.entriesSent += entries.length;
    this.messagesSent += packed.length;
    return this.#counts(entries.length, packed.length);
  }

  #counts(entries: number, messages: number): SendCounts {
    return { entries, messages, totalEntries: this.entriesSent, totalMessages: this.messagesSent };
  }
}

export interface SendCounts {
  entries: number;
  messages: number;
  /** Everything this sender had seen SQS accept when this call ended, this call's messages included. */
  totalEntries: number;
  totalMessages: number;
}
