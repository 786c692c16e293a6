// Typed errors. Every failure the pipeline reports is one of these, so callers decide by type, not by
// message: a RetryableError may succeed if the same work is tried again later (throttling, a 5xx, a
// timeout, a race that will settle); a PermanentError will not, and names what to fix.

export class RetryableError extends Error {
  override readonly name: string = "RetryableError";
  readonly retryable = true;
}

export class PermanentError extends Error {
  override readonly name: string = "PermanentError";
  readonly retryable = false;
}

/** A configuration value was wrong: says which file, which field, what was wrong and what would be right. */
export class ConfigError extends PermanentError {
  override readonly name = "ConfigError";
  readonly source: string;
  readonly field: string;

  constructor(source: string, field: string, problem: string, example?: string) {
    super(`${source}: "${field}" ${problem}${example === undefined ? "" : ` (for example: ${example})`}`);
    this.source = source;
    this.field = field;
  }
}

/** A manifest or event that cannot be understood; retrying it will never help. */
export class BadInputError extends PermanentError {
  override readonly name = "BadInputError";
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
