// Structured logging: JSON lines when stdout is not a terminal (cron mails, log shippers), readable lines
// and a live progress line when it is.
export type Level = "debug" | "info" | "warn" | "error";

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  /** A transient status line on a terminal; ignored otherwise (the final summary is logged instead). */
  progress(line: string): void;
}

const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface LoggerOptions {
  level?: Level;
  json?: boolean;
  stream?: NodeJS.WriteStream;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const stream = options.stream ?? process.stderr;
  const json = options.json ?? !stream.isTTY;
  const min = ORDER[options.level ?? "info"];
  let progressShown = false;

  const clearProgress = () => {
    if (progressShown) {
      stream.write("\r\x1b[2K");
      progressShown = false;
    }
  };

  const write = (level: Level, msg: string, fields?: Record<string, unknown>) => {
    if (ORDER[level] < min) return;
    if (json) {
      stream.write(`${JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields })}\n`);
      return;
    }
    clearProgress();
    const extra = fields && Object.keys(fields).length > 0 ? ` ${formatFields(fields)}` : "";
    const tag = level === "info" ? "" : `${level.toUpperCase()}: `;
    stream.write(`${tag}${msg}${extra}\n`);
  };

  return {
    debug: (m, f) => write("debug", m, f),
    info: (m, f) => write("info", m, f),
    warn: (m, f) => write("warn", m, f),
    error: (m, f) => write("error", m, f),
    progress(line) {
      if (json) return;
      stream.write(`\r\x1b[2K${line}`);
      progressShown = true;
    },
  };
}

function formatFields(fields: Record<string, unknown>): string {
  return Object.entries(fields)
    .map(([k, v]) => `${k}=${typeof v === "string" ? JSON.stringify(v) : JSON.stringify(v)}`)
    .join(" ");
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {}, progress() {} };
