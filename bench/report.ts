// Plain-text tables and number formats for the bench's report.

export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [line(headers), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

export const seconds = (s: number | undefined, timedOutAfter?: number): string =>
  timedOutAfter !== undefined
    ? `> ${timedOutAfter.toFixed(0)}`
    : s === undefined
      ? "—"
      : s < 10
        ? s.toFixed(2)
        : s.toFixed(1);

export const rate = (n: number | undefined): string =>
  n === undefined || !Number.isFinite(n) ? "—" : Math.round(n).toLocaleString("en-US");

export const count = (n: number): string => n.toLocaleString("en-US");

export function mib(bytes: number | undefined): string {
  return bytes === undefined ? "—" : `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
}

/** peer ÷ sitesync; a peer that timed out gives a lower bound. */
export function ratio(peer: number | undefined, ours: number | undefined, peerTimedOut = false): string {
  if (peer === undefined || ours === undefined || ours <= 0) return "—";
  return `${peerTimedOut ? "> " : ""}${(peer / ours).toFixed(peer / ours >= 10 ? 0 : 1)}×`;
}
