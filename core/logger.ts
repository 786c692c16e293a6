// Structured logging: JSON lines when the stream is not a terminal (cron mails, log shippers), readable
// lines and a live progress line when it is (agent/output-mode.ts decides for the agent).
export type Level = "debug" | "info" | "warn" | "error";

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  /**
   * A transient status line on a terminal, redrawn in place ("" clears it); ignored otherwise (the agent's
   * JSON progress lines are info lines: agent/progress.ts).
   */
  progress(line: string): void;
  /**
   * A record for machines (a CloudWatch embedded metric line), written as a JSON line whatever the level
   * where lines are JSON, for a log shipper to carry; never shown to a person. Loggers without it drop it.
   */
  metric?(msg: string, record: Record<string, unknown>): void;
}

const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface LoggerOptions {
  level?: Level;
  json?: boolean;
  /** Where lines go (default stderr); a file stream has no isTTY, so it gets JSON lines. */
  stream?: { write(text: string): unknown; isTTY?: boolean };
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const stream = options.stream ?? process.stderr;
  const json = options.json ?? !stream.isTTY;
  const min = ORDER[options.level ?? "info"];
  /** The progress line on the terminal now, drawn again under each log line so it stays last. */
  let progressLine = "";

  const write = (level: Level, msg: string, fields?: Record<string, unknown>) => {
    if (ORDER[level] < min) return;
    if (json) {
      stream.write(`${JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields })}\n`);
      return;
    }
    const extra = fields && Object.keys(fields).length > 0 ? ` ${formatFields(fields)}` : "";
    const tag = level === "info" ? "" : `${level.toUpperCase()}: `;
    const clear = progressLine ? "\r\x1b[2K" : "";
    stream.write(`${clear}${tag}${msg}${extra}\n${progressLine}`);
  };

  return {
    debug: (m, f) => write("debug", m, f),
    info: (m, f) => write("info", m, f),
    warn: (m, f) => write("warn", m, f),
    error: (m, f) => write("error", m, f),
    progress(line) {
      if (json || line === progressLine) return;
      stream.write(`\r\x1b[2K${line}`);
      progressLine = line;
    },
    metric(msg, record) {
      if (json) stream.write(`${JSON.stringify({ time: new Date().toISOString(), level: "info", msg, ...record })}\n`);
    },
  };
}

function formatFields(fields: Record<string, unknown>): string {
  return Object.entries(fields)
    .map(([k, v]) => `${k}=${typeof v === "string" ? JSON.stringify(v) : JSON.stringify(v)}`)
    .join(" ");
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {}, progress() {} };
