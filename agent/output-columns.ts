// Text laid out for a terminal by the columns it takes, not its length: a CJK character or an emoji takes
// two columns, a combining accent none, so padding by String.length misaligns every row after such a name.
import stringWidth from "string-width";

export const displayWidth = (text: string): number => stringWidth(text);

/** `text` padded with spaces to `width` columns (never cut). */
export function padEnd(text: string, width: number): string {
  return text + " ".repeat(Math.max(0, width - displayWidth(text)));
}

/** Rows as columns two spaces apart, each padded to its widest cell; trailing spaces trimmed. */
export function columns(rows: string[][]): string[] {
  const count = Math.max(0, ...rows.map((row) => row.length));
  const widths = Array.from({ length: count }, (_, i) => Math.max(...rows.map((row) => displayWidth(row[i] ?? ""))));
  return rows.map((row) =>
    row
      .map((cell, i) => padEnd(cell, widths[i]!))
      .join("  ")
      .trimEnd(),
  );
}

/** The end of `text` that fits in `width` columns, led by "…" when something was cut. */
export function fitFromEnd(text: string, width: number): string {
  if (displayWidth(text) <= width) return text;
  if (width < 1) return "";
  const chars = [...new Intl.Segmenter().segment(text)].map((s) => s.segment);
  let kept = "";
  let used = 1;
  for (let i = chars.length - 1; i >= 0; i--) {
    const w = displayWidth(chars[i]!);
    if (used + w > width) break;
    kept = chars[i] + kept;
    used += w;
  }
  return `…${kept}`;
}

/** The start of `text` that fits in `width` columns, ended by "…" when something was cut. */
export function fitFromStart(text: string, width: number): string {
  if (displayWidth(text) <= width) return text;
  if (width < 1) return "";
  let kept = "";
  let used = 1;
  for (const { segment } of new Intl.Segmenter().segment(text)) {
    const w = displayWidth(segment);
    if (used + w > width) break;
    kept += segment;
    used += w;
  }
  return `${kept}…`;
}
