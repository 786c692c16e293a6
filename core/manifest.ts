// Manifest messages: what the agent sends through SQS and the apply handler executes. One message carries
// the entries of one run; bodies are JSON, gzip+base64 when that saves a quarter or more. Decoding
// validates every field, because a message that cannot be understood must fail loudly (and end in the
// dead-letter queue) rather than half-apply.
import { gunzipSync, gzipSync } from "node:zlib";
import { BadInputError } from "./errors.ts";
import type { BytesLocation } from "./index-record.ts";
import { isMtime } from "./mtime.ts";

export const MANIFEST_VERSION = 1;

export interface PutEntry {
  op: "put";
  key: string;
  version: string;
  size: number;
  mtime: string;
  contentType: string;
  source: BytesLocation;
}

export interface DeleteEntry {
  op: "delete";
  key: string;
  version: string;
}

export type ManifestEntry = PutEntry | DeleteEntry;

export interface Manifest {
  v: typeof MANIFEST_VERSION;
  runId: string;
  /** Position of this message within its run, from 0; the run counter uses it to count a message once. */
  seq: number;
  /** The site's key prefix in the bucket; rewrite rules are relative to it. */
  prefix: string;
  entries: ManifestEntry[];
}

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
  return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
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
  return validateManifest(raw, `message ${messageId}`);
}

export function validateManifest(raw: unknown, where: string): Manifest {
  const m = raw as Partial<Manifest> | null;
  if (typeof m !== "object" || m === null) throw new BadInputError(`${where}: manifest must be an object`);
  if (m.v !== MANIFEST_VERSION) {
    throw new BadInputError(`${where}: manifest version ${String(m.v)} is not ${MANIFEST_VERSION}; deploy matching agent and handler`);
  }
  if (typeof m.runId !== "string" || m.runId === "") throw new BadInputError(`${where}: runId missing`);
  if (!Number.isInteger(m.seq) || (m.seq as number) < 0) throw new BadInputError(`${where}: seq must be an integer ≥ 0`);
  if (typeof m.prefix !== "string") throw new BadInputError(`${where}: prefix missing`);
  if (!Array.isArray(m.entries)) throw new BadInputError(`${where}: entries must be an array`);
  m.entries.forEach((entry, i) => validateEntry(entry, `${where} entry ${i}`));
  return m as Manifest;
}

function validateEntry(raw: unknown, where: string): void {
  if (typeof raw !== "object" || raw === null) throw new BadInputError(`${where}: must be an object`);
  const e = raw as PutEntry;
  if (typeof e.key !== "string" || e.key === "") throw new BadInputError(`${where}: key missing`);
  if (typeof e.version !== "string" || e.version === "") throw new BadInputError(`${where} (${e.key}): version missing`);
  if ((e.op as string) === "delete") return;
  if (e.op !== "put") throw new BadInputError(`${where} (${e.key}): op must be "put" or "delete"`);
  if (!Number.isSafeInteger(e.size) || e.size < 0) throw new BadInputError(`${where} (${e.key}): size must be an integer ≥ 0`);
  if (!isMtime(e.mtime)) throw new BadInputError(`${where} (${e.key}): mtime must be nanoseconds as a decimal string`);
  if (typeof e.contentType !== "string" || e.contentType === "") throw new BadInputError(`${where} (${e.key}): contentType missing`);
  const s = e.source as Partial<{ key: string; offset: number; length: number }> | undefined;
  if (typeof s !== "object" || s === null || typeof s.key !== "string") {
    throw new BadInputError(`${where} (${e.key}): source.key missing`);
  }
  if ("offset" in s && (!Number.isSafeInteger(s.offset) || (s.offset as number) < 0 || !Number.isSafeInteger(s.length) || s.length !== e.size)) {
    throw new BadInputError(`${where} (${e.key}): source offset must be an integer ≥ 0 and length must equal size`);
  }
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
  header: { runId: string; prefix: string; firstSeq: number },
  limits: ManifestLimits = DEFAULT_MANIFEST_LIMITS,
): Array<{ manifest: Manifest; encoded: EncodedManifest }> {
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
