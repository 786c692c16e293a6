// Content-Type for a key, from the `mime` package (the maintained mime-db), with per-extension overrides
// from the configuration and a charset on textual types so browsers never have to guess.
import mime from "mime";

export interface ContentTypeRules {
  /** Extension (with or without the dot, any case) → Content-Type; wins over the MIME database. */
  overrides?: Record<string, string>;
  /** Charset appended to textual types; null leaves it off (for sites not written in UTF-8). */
  charset?: string | null;
  /** For names the database does not know (no extension, unknown extension). */
  fallback?: string;
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

export function contentTypeFor(key: string, rules: ContentTypeRules = {}): string {
  const ext = extensionOf(key);
  const override = ext === "" ? undefined : findOverride(rules.overrides, ext);
  if (override !== undefined) return override;
  const type = (ext === "" ? null : mime.getType(ext)) ?? rules.fallback ?? "application/octet-stream";
  const charset = rules.charset === undefined ? "utf-8" : rules.charset;
  if (charset !== null && (type.startsWith("text/") || TEXTUAL.has(type))) return `${type}; charset=${charset}`;
  return type;
}

function findOverride(overrides: Record<string, string> | undefined, ext: string): string | undefined {
  if (!overrides) return undefined;
  for (const [key, value] of Object.entries(overrides)) {
    if (key.replace(/^\./, "").toLowerCase() === ext) return value;
  }
  return undefined;
}
