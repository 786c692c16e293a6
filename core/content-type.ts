// Content-Type for a key, from the `mime` package (the maintained mime-db), with per-extension overrides
// from the configuration and a charset on textual types so browsers never have to guess.
//
// A name with no type of its own (LICENSE, README, an unknown extension) is served as text/plain when its
// first bytes, already read for staging, look like UTF-8 text, else as application/octet-stream: Apache 2.2
// served such files as text/plain (DefaultType) and 2.4 without a type, which browsers sniff and show as
// text; octet-stream would make a browser download a LICENSE instead. A configured fallback wins over both.
import mime from "mime";

export interface ContentTypeRules {
  /** Extension (with or without the dot, any case) → Content-Type; wins over the MIME database. */
  overrides?: Record<string, string>;
  /** Charset appended to textual types; null leaves it off (for sites not written in UTF-8). */
  charset?: string | null;
  /** For names the database does not know (no extension, unknown extension). */
  fallback?: string;
}

/** Names without an extension whose type a standard fixes (Apple's app links, under .well-known/). */
const TYPED_NAMES: Record<string, string> = { "apple-app-site-association": "application/json" };

/** How many leading bytes of a file decide whether a name with no type of its own is text. */
export const SNIFF_BYTES = 512;

/** What was learnt from a file's bytes while it was read. */
export interface ContentSniff {
  /** looksLikeText of the file's first SNIFF_BYTES bytes. */
  looksText: boolean;
}

const TEXTUAL = new Set([
  "application/javascript",
  "application/json",
  "application/ld+json",
  "application/manifest+json",
  "application/xml",
  "application/xhtml+xml",
  "application/rss+xml",
  "application/atom+xml",
  "image/svg+xml",
]);

export function extensionOf(key: string): string {
  const name = key.slice(key.lastIndexOf("/") + 1);
  const dot = name.lastIndexOf(".");
  return dot <= 0 ? "" : name.slice(dot + 1).toLowerCase();
}

/** Without `sniff` (adoption, which reads no bytes), a name with no type of its own is octet-stream. */
export function contentTypeFor(key: string, rules: ContentTypeRules = {}, sniff?: ContentSniff): string {
  const ext = extensionOf(key);
  const override = ext === "" ? undefined : findOverride(rules.overrides, ext);
  if (override !== undefined) return override;
  const known = ext === "" ? TYPED_NAMES[key.slice(key.lastIndexOf("/") + 1)] : mime.getType(ext);
  const type = known ?? rules.fallback ?? (sniff?.looksText ? "text/plain" : "application/octet-stream");
  const charset = rules.charset === undefined ? "utf-8" : rules.charset;
  if (charset !== null && (type.startsWith("text/") || TEXTUAL.has(type))) return `${type}; charset=${charset}`;
  return type;
}

// The WHATWG MIME Sniffing standard's "binary data bytes" are the control characters but these: tab, LF, FF,
// CR and ESC.
const TEXT_CONTROLS = new Set([0x09, 0x0a, 0x0c, 0x0d, 0x1b]);

/**
 * Whether a file's first bytes (`sample`, at most SNIFF_BYTES used) read as UTF-8 text: no binary data byte
 * and valid UTF-8, a character cut at the end of the sample allowed. Text in another encoding is not text
 * here: labelled UTF-8 it would show garbled.
 */
export function looksLikeText(sample: Uint8Array): boolean {
  const head = sample.subarray(0, SNIFF_BYTES);
  for (const byte of head) if (byte < 0x20 && !TEXT_CONTROLS.has(byte)) return false;
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(head, { stream: true });
    return true;
  } catch {
    return false;
  }
}

function findOverride(overrides: Record<string, string> | undefined, ext: string): string | undefined {
  if (!overrides) return undefined;
  for (const [key, value] of Object.entries(overrides)) {
    if (key.replace(/^\./, "").toLowerCase() === ext) return value;
  }
  return undefined;
}
