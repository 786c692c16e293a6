// A contract is the one schema of a message that crosses a process boundary: a manifest on the queue, a
// restore plan for the host, a workflow step's input and output, a Lambda's environment. Writer and reader
// share it: the writer uses its type (and may check what it writes), the reader parses, and a payload
// that does not fit fails permanently with the field's path and what was expected there.
//
// zod/mini rather than zod's chained API: the same schemas and types, but tree-shaken, so a contract adds
// about 20 KiB to a Lambda bundle where the classic API adds about 450 KiB (it cannot drop its locales).
import type * as z from "zod/mini";
import { BadInputError, PermanentError } from "../errors.ts";

/** A schema whose parsed value is T. */
export type Contract<T> = z.ZodMiniType<T, unknown>;

/**
 * Reads a payload someone else wrote: BadInputError names each wrong field and what was expected, after
 * `where` (the message, the step) unless the caller names it itself.
 */
export function parseContract<T>(contract: Contract<T>, value: unknown, where: string): T {
  const result = contract.safeParse(value, { reportInput: true, error: expectation });
  if (result.success) return result.data;
  throw new BadInputError(`${where === "" ? "" : `${where}: `}${describeIssues(result.error.issues)}`);
}

/** Checks what this process is about to hand on: a mismatch is our own bug, never worth a retry. */
export function checkContract<T>(contract: Contract<T>, value: T, where: string): T {
  const result = contract.safeParse(value, { reportInput: true, error: expectation });
  if (result.success) return result.data;
  throw new PermanentError(`${where} breaks its contract: ${describeIssues(result.error.issues)}`);
}

const MAX_ISSUES_SHOWN = 3;
const MAX_VALUE_CHARS = 120;

function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  const shown = issues.slice(0, MAX_ISSUES_SHOWN).map(describeIssue);
  const more = issues.length - shown.length;
  return shown.join("; ") + (more > 0 ? ` (and ${more} more)` : "");
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const at = issue.path.length > 0 ? `"${pathText(issue.path)}": ` : "";
  // A discriminated union reports the whole object; the value that failed is its discriminator.
  const discriminator = issue.code === "invalid_union" ? issue.discriminator : undefined;
  const input =
    discriminator !== undefined && issue.path.at(-1) === discriminator && isRecord(issue.input)
      ? issue.input[discriminator]
      : issue.input;
  if (issue.code === "unrecognized_keys") return `${at}${issue.message}`;
  return `${at}${issue.message}, ${input === undefined ? "but it is missing" : `got ${preview(input)}`}`;
}

/** entries[3].source.offset (quoted where it is used, as configuration errors quote their field) */
function pathText(path: readonly PropertyKey[]): string {
  return path
    .map((part, i) => (typeof part === "number" ? `[${part}]` : `${i === 0 ? "" : "."}${String(part)}`))
    .join("");
}

function preview(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length <= MAX_VALUE_CHARS ? text : `${text.slice(0, MAX_VALUE_CHARS)}…`;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

const TYPE_NAMES: Record<string, string> = {
  string: "a string",
  number: "a number",
  int: "a whole number",
  boolean: "true or false",
  object: "an object",
  array: "an array",
  null: "null",
};

/**
 * What a field should have been, for schemas that do not say it themselves (a schema's own `error`
 * wins over this). Every message starts "expected", so describeIssue can add what it got.
 */
function expectation(issue: z.core.$ZodRawIssue): string {
  switch (issue.code) {
    case "invalid_type":
      return `expected ${TYPE_NAMES[issue.expected] ?? issue.expected}`;
    case "invalid_value":
      return `expected ${issue.values.map((v) => JSON.stringify(v)).join(" or ")}`;
    case "too_small":
      return `expected ${bound(issue.origin, issue.minimum, issue.inclusive, "at least", "more than", "≥", ">")}`;
    case "too_big":
      return `expected ${bound(issue.origin, issue.maximum, issue.inclusive, "at most", "fewer than", "≤", "<")}`;
    case "invalid_format":
      return `expected ${issue.pattern ? `text matching ${issue.pattern}` : `a ${issue.format}`}`;
    case "invalid_union":
      return issue.discriminator !== undefined && "options" in issue && Array.isArray(issue.options)
        ? `expected one of ${issue.options.map((o: unknown) => JSON.stringify(o)).join(", ")}`
        : "expected one of the allowed shapes";
    case "unrecognized_keys":
      return `has fields no writer sends: ${issue.keys.join(", ")}`;
    default:
      return "expected a valid value";
  }
}

function bound(
  origin: string,
  limit: number | bigint,
  inclusive: boolean | undefined,
  atLeast: string,
  beyond: string,
  sign: string,
  strictSign: string,
): string {
  const words = inclusive === false ? beyond : atLeast;
  if (origin === "string") {
    return limit === 1 && words === atLeast ? "a non-empty string" : `${words} ${limit} characters`;
  }
  if (origin === "array") return `${words} ${limit} items`;
  return `a number ${inclusive === false ? strictSign : sign} ${limit}`;
}
