// The two judgements adoption makes without reading file bytes, as pure functions.
//
// Published: a file counts as already in the bucket when the object has its size and the file was not
// modified after the object was written, give or take a clock fudge (zc.s3staticsync's -I rule; it used
// 1,200 s). The fudge covers the FTP host's clock running ahead of S3's and copies that kept an mtime a
// little later than the upload; a file edited after its copy has a later mtime and is uploaded again.
//
// Generated: an index.html another tool generated (marked "<!-- generated -->" in its body, or with the
// object metadata generated: true) or that sitesync generated (GENERATED_MARKER) is a listing page, not a
// site file.
import type { ListedObject } from "../../aws/site-bucket.ts";
import { GENERATED_MARKER } from "../../core/index-page.ts";

export const DEFAULT_FUDGE_SECONDS = 1200;

/** Only pages under this size are read to look for the marker; a listing page is never near it. */
export const MAX_PAGE_READ_BYTES = 16 * 1024 * 1024;

/** `mtime` is nanoseconds since the epoch as a decimal string (core/mtime.ts). */
export function isPublished(
  file: { size: number; mtime: string },
  object: ListedObject,
  fudgeSeconds: number,
): boolean {
  if (file.size !== object.size) return false;
  const limitNs = (BigInt(object.lastModified.getTime()) + BigInt(Math.round(fudgeSeconds * 1000))) * 1_000_000n;
  return BigInt(file.mtime) <= limitNs;
}

const OTHER_TOOLS_MARKER = /<!--\s*generated\s*-->/i;

export function isGeneratedPage(metadata: Record<string, string> | undefined, body: Buffer | undefined): boolean {
  if (metadata?.generated?.toLowerCase() === "true") return true;
  if (body === undefined) return false;
  const text = body.toString("utf8");
  return text.includes(GENERATED_MARKER) || OTHER_TOOLS_MARKER.test(text);
}
