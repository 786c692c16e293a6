// Run ids are time-sortable and unique: 20261125T114723123Z-9f3ac1. A key changes at most once per run,
// so the run id also serves as the version of every entry the run stages.
import { randomBytes } from "node:crypto";

export function newRunId(now: Date = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, "").replace(".", "");
  return `${stamp}-${randomBytes(3).toString("hex")}`;
}

export function isRunId(value: unknown): value is string {
  return typeof value === "string" && /^\d{8}T\d{9}Z-[0-9a-f]{6}$/.test(value);
}

export function runIdTime(runId: string): Date {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\d{3})Z/.exec(runId);
  if (!m) throw new Error(`not a run id: ${runId}`);
  return new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.${m[7]}Z`);
}
