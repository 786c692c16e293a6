// How far a long command has got. The scan, stage, send and restore code set counters on one Progress;
// it shows them as one line redrawn on a terminal at most ten times a second, or, off a terminal, as a
// `{"msg":"progress",...}` log line every few seconds. Rendering is pure: counters and a time in, text out.
import type { Logger } from "../core/logger.ts";
import { fitFromEnd, fitFromStart, displayWidth } from "./output-columns.ts";
import { formatBytes } from "../core/format-bytes.ts";

export interface ProgressState {
  /** The command, as typed: "sync", "adopt", "restore", "restore --from-queue". */
  command: string;
  /** What it is doing now, in a word or two ("scanning", "staging", "page 2/5"). */
  phase: string;
  /** When the command and the current phase began (ms). */
  started: number;
  phaseStarted: number;
  filesScanned: number;
  directoriesScanned: number;
  /** Seconds from the start to the scan's end, once it is over: files scanned per second stop moving. */
  scanSeconds?: number;
  /** Changes found so far (uploads, deletions, re-sends); absent where a command finds none (restore). */
  changes?: number;
  filesStaged: number;
  /** Files the plan stages, once the scan has made the plan. */
  filesToStage?: number;
  bytesStaged: number;
  manifestsSent: number;
  entriesSent: number;
  /** Work done where the agent can see it (files restored, files adopted), out of `toApply` when known. */
  applied?: number;
  toApply?: number;
  /** What `applied` counts: "restored", "adopted". */
  appliedLabel?: string;
  /** The directory or file last worked on. */
  current?: string;
}

export type ProgressMode = "live" | "json" | "off";

const LIVE_EVERY_MS = 100;
export const DEFAULT_PROGRESS_SECONDS = 10;

export function initialState(command: string, now: number): ProgressState {
  return {
    command,
    phase: "starting",
    started: now,
    phaseStarted: now,
    filesScanned: 0,
    directoriesScanned: 0,
    filesStaged: 0,
    bytesStaged: 0,
    manifestsSent: 0,
    entriesSent: 0,
  };
}

const count = (n: number) => n.toLocaleString("en-US");

/** Seconds left for the phase's known total at the rate it has gone since it began; undefined when unknowable. */
export function etaSeconds(s: ProgressState, now: number): number | undefined {
  const work =
    s.toApply !== undefined && s.applied !== undefined
      ? { done: s.applied, total: s.toApply }
      : s.filesToStage !== undefined
        ? { done: s.filesStaged, total: s.filesToStage }
        : undefined;
  const elapsed = (now - s.phaseStarted) / 1000;
  if (!work || work.done <= 0 || work.done >= work.total || elapsed <= 0) return undefined;
  return Math.ceil((work.total - work.done) / (work.done / elapsed));
}

function scanRate(s: ProgressState, now: number): number | undefined {
  const seconds = s.scanSeconds ?? (now - s.started) / 1000;
  return seconds >= 0.1 && s.filesScanned > 0 ? Math.round(s.filesScanned / seconds) : undefined;
}

export function formatDuration(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const sec = String(Math.floor(seconds % 60)).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${sec}` : `${m}:${sec}`;
}

/**
 * The live line, fitted to `columns` by display width (a wrapped line cannot be redrawn in place): what
 * does not fit goes, least telling first — the name worked on, counts of a phase that is over, changes,
 * manifests — so the current phase's count and its ETA stay; a line still too wide is cut at its end.
 */
export function renderProgress(s: ProgressState, now: number, columns?: number): string {
  const parts: Array<{ text: string; keep: number }> = [{ text: `${s.command} ${s.phase}`, keep: 100 }];
  if (s.filesScanned > 0 || s.directoriesScanned > 0) {
    const rate = scanRate(s, now);
    const text = `${count(s.filesScanned)} files scanned${rate !== undefined ? ` (${count(rate)}/s)` : ""}`;
    parts.push({ text, keep: s.scanSeconds === undefined ? 90 : 20 });
  }
  if (s.changes !== undefined) parts.push({ text: `${count(s.changes)} changes`, keep: 40 });
  if (s.filesToStage !== undefined || s.filesStaged > 0) {
    const of = s.filesToStage !== undefined ? `/${count(s.filesToStage)}` : "";
    parts.push({ text: `staged ${count(s.filesStaged)}${of} (${formatBytes(s.bytesStaged)})`, keep: 80 });
  }
  if (s.manifestsSent > 0) parts.push({ text: `sent ${count(s.manifestsSent)} manifests`, keep: 50 });
  if (s.applied !== undefined) {
    const of = s.toApply !== undefined ? `/${count(s.toApply)}` : "";
    parts.push({ text: `${s.appliedLabel ?? "applied"} ${count(s.applied)}${of}`, keep: 85 });
  }
  const eta = etaSeconds(s, now);
  if (eta !== undefined) parts.push({ text: `ETA ${formatDuration(eta)}`, keep: 95 });
  const join = () => parts.map((p) => p.text).join(" · ");
  if (columns === undefined) return s.current ? `${join()} · ${s.current}` : join();
  // The last column stays free: writing into it wraps the cursor on some terminals.
  const room = columns - 1;
  while (displayWidth(join()) > room && parts.length > 1) {
    const least = parts.reduce((min, p) => (p.keep < min.keep ? p : min));
    parts.splice(parts.indexOf(least), 1);
  }
  const line = join();
  const left = room - displayWidth(line) - 3;
  if (s.current && left >= 8) return `${line} · ${fitFromEnd(s.current, left)}`;
  return fitFromStart(line, room);
}

/** The same counters as fields of a JSON progress line. */
export function progressFields(s: ProgressState, now: number): Record<string, unknown> {
  const eta = etaSeconds(s, now);
  const rate = scanRate(s, now);
  return {
    command: s.command,
    phase: s.phase,
    elapsedSeconds: Math.round((now - s.started) / 100) / 10,
    filesScanned: s.filesScanned,
    directoriesScanned: s.directoriesScanned,
    ...(rate !== undefined ? { filesPerSecond: rate } : {}),
    ...(s.changes !== undefined ? { changes: s.changes } : {}),
    filesStaged: s.filesStaged,
    ...(s.filesToStage !== undefined ? { filesToStage: s.filesToStage } : {}),
    bytesStaged: s.bytesStaged,
    manifestsSent: s.manifestsSent,
    entriesSent: s.entriesSent,
    ...(s.applied !== undefined ? { [s.appliedLabel ?? "applied"]: s.applied } : {}),
    ...(s.toApply !== undefined ? { total: s.toApply } : {}),
    ...(eta !== undefined ? { etaSeconds: eta } : {}),
  };
}

export interface ProgressOptions {
  command: string;
  mode: ProgressMode;
  logger: Logger;
  /** Between JSON progress lines (default 10 s). */
  intervalMs?: number;
  /** The terminal's width, for the live line. */
  columns?: number;
  now?: () => number;
}

/**
 * The counters of one command and their display. Code paths call update() as often as they like (it
 * only assigns); a timer renders. The live line goes through the logger, which writes it only when it
 * changed and draws it again under each log line.
 */
export class Progress {
  readonly state: ProgressState;
  readonly #options: ProgressOptions;
  readonly #now: () => number;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: ProgressOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.state = initialState(options.command, this.#now());
  }

  /** Begins a phase: its ETA is measured from now, and the scan's rate, once past it, stops moving. */
  phase(name: string, counters: Partial<ProgressState> = {}): void {
    const now = this.#now();
    if (this.state.scanSeconds === undefined && this.state.filesScanned > 0) {
      this.state.scanSeconds = (now - this.state.started) / 1000;
    }
    Object.assign(this.state, counters, { phase: name, phaseStarted: now });
  }

  update(counters: Partial<ProgressState>): void {
    Object.assign(this.state, counters);
  }

  start(): this {
    const { mode, intervalMs } = this.#options;
    if (mode === "off") return this;
    const every = mode === "live" ? LIVE_EVERY_MS : (intervalMs ?? DEFAULT_PROGRESS_SECONDS * 1000);
    this.#timer = setInterval(() => this.render(), every);
    this.#timer.unref();
    return this;
  }

  /** Shows the counters once, now. */
  render(): void {
    const now = this.#now();
    const { mode, logger, columns } = this.#options;
    if (mode === "live") logger.progress(renderProgress(this.state, now, columns));
    else if (mode === "json") logger.info("progress", progressFields(this.state, now));
  }

  /** Stops the display; a live line is cleared, so the summary starts on a clean line. */
  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    if (this.#options.mode === "live") this.#options.logger.progress("");
  }
}
