// From file names (bytes on POSIX) to S3 keys (UTF-8 strings) and back to index coordinates.
//
// Keys keep exactly the characters of the name: no Unicode normalisation, because NFC and NFD spellings of
// a name are different files on a POSIX host and must stay different keys (and stable between runs).
// Names that are not valid UTF-8 are decoded with the configured fallback encoding; the original bytes
// are kept beside the key to open the file.

/** S3's limit on a key, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 1024;

// ignoreBOM: a name that starts with U+FEFF is a different file from one that does not.
const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

export type NameEncoding = "latin1" | string;

/**
 * Decodes a file name. Valid UTF-8 is taken as is; anything else goes through `fallback`: "latin1" maps
 * each byte to U+0000–U+00FF (ISO-8859-1, lossless), any other WHATWG label (e.g. "windows-1252",
 * "shift_jis") goes through TextDecoder.
 */
export function decodeName(bytes: Uint8Array, fallback: NameEncoding): { name: string; fallback: boolean } {
  try {
    return { name: strictUtf8.decode(bytes), fallback: false };
  } catch {
    if (isLatin1(fallback)) {
      return { name: Buffer.from(bytes).toString("latin1"), fallback: true };
    }
    return { name: new TextDecoder(fallback).decode(bytes), fallback: true };
  }
}

/**
 * "latin1" and "iso-8859-1" (any case) mean true ISO-8859-1, byte for byte, which is lossless. WHATWG's
 * TextDecoder would treat both labels as windows-1252, where five bytes (0x81, 0x8d…) have no character.
 */
function isLatin1(label: string): boolean {
  const l = label.toLowerCase();
  return l === "latin1" || l === "iso-8859-1";
}

/** True if TextDecoder (or our latin1 path) knows the encoding label. */
export function isKnownEncoding(label: string): boolean {
  if (isLatin1(label)) return true;
  try {
    new TextDecoder(label);
    return true;
  } catch {
    return false;
  }
}

/**
 * Orders strings by their UTF-8 bytes: the order of S3 listings and of DynamoDB sort keys. UTF-8 byte order is
 * code point order, which is UTF-16 code unit order except where a surrogate is involved (a code point above
 * U+FFFF, or a lone surrogate, which UTF-8 writes as U+FFFD): only then are the bytes compared. A scan sorts
 * every directory with this, so it must not allocate: two Buffers per comparison were ~40 per file.
 */
export function compareUtf8(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    if ((x & 0xf800) === 0xd800 || (y & 0xf800) === 0xd800) {
      return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
    }
    return x - y;
  }
  return a.length - b.length;
}

/** Normalises a configured key prefix: no leading slash, exactly one trailing slash, or "" for the root. */
export function normalisePrefix(prefix: string): string {
  const trimmed = prefix.replace(/^\/+/, "").replace(/\/+$/, "");
  return trimmed === "" ? "" : `${trimmed}/`;
}

export function joinKey(dir: string, name: string): string {
  return dir === "" ? name : `${dir}/${name}`;
}

/** Splits a key at its last slash into the directory (no trailing slash, "" at the root) and the name. */
export function splitKey(key: string): { dir: string; name: string } {
  const slash = key.lastIndexOf("/");
  return slash < 0 ? { dir: "", name: key } : { dir: key.slice(0, slash), name: key.slice(slash + 1) };
}

/** The directory a prefix denotes: "site/" → "site", "" → "". */
export function prefixDir(prefix: string): string {
  return prefix.endsWith("/") ? prefix.slice(0, -1) : prefix;
}

/** Why a key cannot be published, or undefined if it can. */
export function keyProblem(key: string): string | undefined {
  // Asked once per file of every run: no counting when the key is too short to be too long (a UTF-16 code
  // unit is at most three bytes of UTF-8), no array of segments.
  if (key.length * 3 > MAX_KEY_BYTES) {
    const bytes = Buffer.byteLength(key, "utf8");
    if (bytes > MAX_KEY_BYTES) return `key is ${bytes} bytes of UTF-8; S3 allows at most ${MAX_KEY_BYTES}`;
  }
  if (DOT_SEGMENT.test(key)) return "key has a '.' or '..' segment, which browsers and CloudFront normalise away";
  return undefined;
}

/** A segment that is "." or "..": at the start or after a slash, and at the end or before one. */
const DOT_SEGMENT = /(?:^|\/)\.\.?(?:\/|$)/;
