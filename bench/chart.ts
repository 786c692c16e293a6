// The bench's pictures: every tree size the bench has a summary for (bench/results/<files>.json), drawn as an
// SVG of two panels — seconds against tree size for sitesync's runs, `find` and each peer, and the agent's
// peak memory against tree size. Plain SVG written by hand: a few lines and dots need no charting library.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** One bench run's figures, as bench/run.ts writes them to bench/results/<files>.json. */
export interface BenchSummary {
  files: number;
  startedAt: string;
  floorSeconds: number;
  /** Seconds (end to end), a lower bound when `timedOut`; peak RSS of the agent or the peer process. */
  series: Array<{ tool: string; phase: string; seconds?: number; timedOut?: boolean; peakRssBytes?: number }>;
  /** Peers the run had not measured yet when these figures were written (a run stopped before its end). */
  pending?: string[];
}

export function readSummaries(dir: string): BenchSummary[] {
  return readdirSync(dir)
    .filter((name) => /^\d+\.json$/.test(name))
    .map((name) => JSON.parse(readFileSync(join(dir, name), "utf8")) as BenchSummary)
    .sort((a, b) => a.files - b.files);
}

export function writeChart(dir: string): string {
  const path = join(dir, "chart.svg");
  writeFileSync(path, renderChart(readSummaries(dir)));
  return path;
}

const WIDTH = 1000;
const HEIGHT = 420;
const PANEL = { top: 40, bottom: 60, left: 70, width: 380, gap: 110 };
const COLOURS = ["#1b6ac9", "#d1495b", "#2e933c", "#edae49", "#6f4a8e", "#00798c", "#8c564b", "#555555"];

interface Line {
  label: string;
  points: Array<{ x: number; y: number; lowerBound: boolean }>;
}

export function renderChart(summaries: BenchSummary[]): string {
  const timeLines = new Map<string, Line>();
  const memoryLines = new Map<string, Line>();
  const add = (lines: Map<string, Line>, label: string, x: number, y: number, lowerBound = false) => {
    const line = lines.get(label) ?? { label, points: [] };
    line.points.push({ x, y, lowerBound });
    lines.set(label, line);
  };
  for (const s of summaries) {
    add(timeLines, "find (floor)", s.files, s.floorSeconds);
    for (const p of s.series) {
      if (p.seconds !== undefined) add(timeLines, `${p.tool}: ${p.phase}`, s.files, p.seconds, p.timedOut === true);
      if (p.peakRssBytes !== undefined && p.tool === "sitesync") {
        add(memoryLines, `agent: ${p.phase}`, s.files, p.peakRssBytes / 1024 / 1024);
      }
    }
  }
  const left = panel([...timeLines.values()], PANEL.left, "seconds (log)", true);
  const right = panel([...memoryLines.values()], PANEL.left + PANEL.width + PANEL.gap, "agent peak RSS, MiB", false);
  const title = `sitesync bench: time and memory against tree size (${summaries.map((s) => s.files).join(", ")} files)`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}"`,
    ` font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="${WIDTH / 2}" y="20" text-anchor="middle" font-size="14">${escapeXml(title)}</text>`,
    left,
    right,
    "</svg>",
    "",
  ].join("\n");
}

function panel(lines: Line[], x0: number, yLabel: string, logY: boolean): string {
  const all = lines.flatMap((l) => l.points);
  if (all.length === 0) return "";
  const h = HEIGHT - PANEL.top - PANEL.bottom;
  const xs = all.map((p) => p.x);
  const ys = all.map((p) => p.y);
  const xMin = Math.log10(Math.min(...xs)) - 0.2;
  const xMax = Math.log10(Math.max(...xs)) + 0.2;
  const yLow = logY ? Math.log10(Math.max(1e-3, Math.min(...ys))) - 0.2 : 0;
  const yHigh = logY ? Math.log10(Math.max(...ys)) + 0.2 : Math.max(...ys) * 1.15;
  const px = (x: number) => x0 + ((Math.log10(x) - xMin) / (xMax - xMin)) * PANEL.width;
  const py = (y: number) => {
    const v = logY ? Math.log10(Math.max(1e-3, y)) : y;
    return PANEL.top + h - ((v - yLow) / (yHigh - yLow)) * h;
  };
  const out: string[] = [
    `<rect x="${x0}" y="${PANEL.top}" width="${PANEL.width}" height="${h}" fill="none" stroke="#999"/>`,
    `<text x="${x0 - 50}" y="${PANEL.top + h / 2}" transform="rotate(-90 ${x0 - 50} ${PANEL.top + h / 2})"` +
      ` text-anchor="middle">${escapeXml(yLabel)}</text>`,
    `<text x="${x0 + PANEL.width / 2}" y="${HEIGHT - 25}" text-anchor="middle">files in the tree (log)</text>`,
  ];
  for (const x of [...new Set(xs)].sort((a, b) => a - b)) {
    out.push(`<text x="${px(x)}" y="${PANEL.top + h + 14}" text-anchor="middle">${x.toLocaleString("en-US")}</text>`);
  }
  for (const tick of yTicks(logY, yLow, yHigh)) {
    const y = py(tick);
    out.push(`<line x1="${x0}" x2="${x0 + PANEL.width}" y1="${y}" y2="${y}" stroke="#eee"/>`);
    out.push(`<text x="${x0 - 6}" y="${y + 4}" text-anchor="end">${tick}</text>`);
  }
  lines.forEach((line, i) => {
    const colour = COLOURS[i % COLOURS.length]!;
    const points = [...line.points].sort((a, b) => a.x - b.x);
    const path = points.map((p, j) => `${j === 0 ? "M" : "L"}${px(p.x).toFixed(1)},${py(p.y).toFixed(1)}`).join(" ");
    out.push(`<path d="${path}" fill="none" stroke="${colour}" stroke-width="2"/>`);
    for (const p of points) {
      // A timed-out peer is a lower bound: an open circle.
      const fill = p.lowerBound ? "#ffffff" : colour;
      out.push(
        `<circle cx="${px(p.x).toFixed(1)}" cy="${py(p.y).toFixed(1)}" r="3.5" fill="${fill}" stroke="${colour}"/>`,
      );
    }
    const ly = PANEL.top + 12 + i * 14;
    out.push(`<rect x="${x0 + 8}" y="${ly - 8}" width="10" height="3" fill="${colour}"/>`);
    out.push(`<text x="${x0 + 22}" y="${ly - 3}">${escapeXml(line.label)}</text>`);
  });
  return out.join("\n");
}

function yTicks(logY: boolean, low: number, high: number): number[] {
  if (logY) {
    const ticks: number[] = [];
    for (let e = Math.ceil(low); e <= Math.floor(high); e++) ticks.push(10 ** e);
    return ticks;
  }
  const step = 10 ** Math.floor(Math.log10(high / 4 || 1));
  const nice = [1, 2, 5, 10].map((m) => m * step).find((s) => high / s <= 6) ?? step * 10;
  const ticks: number[] = [];
  for (let t = 0; t <= high; t += nice) ticks.push(Math.round(t));
  return ticks;
}

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
