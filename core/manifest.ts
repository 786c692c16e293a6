// Manifest messages on the wire: what the agent sends through SQS and the apply handler executes. One
// message carries the entries of one run; bodies are JSON, gzip+base64 when that saves a quarter or more.
// Their shape is the contract in core/contracts/manifest.ts, which decoding enforces: a message that
// cannot be understood must fail loudly (and end in the dead-letter queue) rather than half-apply.
import { gunzipSync, gzipSync } from "node:zlib";
import { checkContract, parseContract } from "./contracts/contract.ts";
import {
  manifest as manifestContract,
  MANIFEST_VERSION,
  type Manifest,
  type ManifestEntry,
} from "./contracts/manifest.ts";
import { BadInputError } from "./errors.ts";

export type { DeleteEntry, Manifest, ManifestEntry, PutEntry } from "./contracts/manifest.ts";

/** SQS's limit for one message and for one SendMessageBatch call, in bytes. */
export const SQS_MAX_BYTES = 262_144;

export interface EncodedManifest {
  body: string;
  /** "gzip" when the body is base64 of gzipped JSON; sent as a message attribute. */
  encoding: "json" | "gzip";
}

const COMPRESS_ABOVE_BYTES = 4_096;

/**
 * JSON with every non-ASCII character escaped: SQS accepts only some Unicode ranges in a body (and the
 * local server rejects characters above U+FFFF outright), while an ASCII body is valid everywhere.
 */
export function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

export function encodeManifest(manifest: Manifest): EncodedManifest {
  const json = asciiJson(manifest);
  if (json.length < COMPRESS_ABOVE_BYTES) return { body: json, encoding: "json" };
  const packed = gzipSync(json).toString("base64");
  return packed.length <= json.length * 0.75 ? { body: packed, encoding: "gzip" } : { body: json, encoding: "json" };
}

export function decodeManifest(body: string, encoding: string | undefined, messageId: string): Manifest {
  let json: string;
  try {
    json = encoding === "gzip" ? gunzipSync(Buffer.from(body, "base64")).toString("utf8") : body;
  } catch (err) {
    throw new BadInputError(`message ${messageId}: body is not valid gzip+base64 (${(err as Error).message})`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    throw new BadInputError(`message ${messageId}: body is not JSON; expected a sitesync manifest`);
  }
  return parseContract(manifestContract, raw, `message ${messageId}`);
}

export interface ManifestLimits {
  maxEntries: number;
  /** Upper bound on one encoded body; keep ten of them within one SendMessageBatch call. */
  maxBodyBytes: number;
}

export const DEFAULT_MANIFEST_LIMITS: ManifestLimits = { maxEntries: 100, maxBodyBytes: 24_000 };

/**
 * Splits entries into manifests within the limits. Entries stay in order, so a pack's entries stay
 * together and the handler can read them with one ranged GET.
 */
export function packManifests(
  entries: ManifestEntry[],
  header: { runId: string; prefix: string; firstSeq: number; sent?: string },
  limits: ManifestLimits = DEFAULT_MANIFEST_LIMITS,
): Array<{ manifest: Manifest; encoded: EncodedManifest }> {
  // A bad entry stops the sender here, rather than sending a message every delivery would refuse.
  const sent = header.sent === undefined ? {} : { sent: header.sent };
  const all = {
    v: MANIFEST_VERSION,
    runId: header.runId,
    seq: header.firstSeq,
    prefix: header.prefix,
    ...sent,
    entries,
  };
  checkContract(manifestContract, all, `the manifests of run ${header.runId}`);
  const out: Array<{ manifest: Manifest; encoded: EncodedManifest }> = [];
  let seq = header.firstSeq;
  let start = 0;
  while (start < entries.length) {
    let count = Math.min(limits.maxEntries, entries.length - start);
    for (;;) {
      const manifest: Manifest = {
        v: MANIFEST_VERSION,
        runId: header.runId,
        seq,
        prefix: header.prefix,
        ...sent,
        entries: entries.slice(start, start + count),
      };
      const encoded = encodeManifest(manifest);
      if (Buffer.byteLength(encoded.body, "utf8") <= limits.maxBodyBytes) {
        out.push({ manifest, encoded });
        break;
      }
      if (count === 1) {
        throw new BadInputError(`entry for key ${entries[start]?.key} alone exceeds ${limits.maxBodyBytes} bytes`);
      }
      count = Math.ceil(count / 2);
    }
    start += count;
    seq += 1;
  }
  return out;
}
