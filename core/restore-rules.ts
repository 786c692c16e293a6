// Point-in-time restore, decided per key from its retained versions and its current index record. Pure.
//
//  version the key had at asOf              | current index record              | action
//  -----------------------------------------+-----------------------------------+----------------------------
//  none (created later) or a delete          | none, or being deleted            | none
//  none (created later) or a delete          | a file                            | delete (it did not exist)
//  a file, bytes retained                    | that same version, or same bytes  | none
//  a file, bytes retained                    | anything else                     | put that version back
//  a file whose bytes were never staged      | that same version                 | none
//    (adopted: the site object itself)       | anything else                     | unrestorable (reported)
//  a file staged before the retention window | that same version                 | none
//    (its pack has expired)                  | anything else                     | unrestorable (reported)
//
// "Same bytes" means the same staged location: a file restored earlier is not restored again.
import type { Desired, DesiredPut, IndexFile } from "./index-record.ts";

export interface KeyVersion {
  desired: Desired;
  /** When the version was staged, ISO time. */
  at: string;
}

export type RestoreAction =
  | { action: "none" }
  | { action: "put"; target: DesiredPut }
  | { action: "delete" }
  | { action: "unrestorable"; reason: string };

/** The version a key had at `asOf`: the latest staged no later than it, or undefined if none was. */
export function versionAsOf(versions: KeyVersion[], asOf: string): KeyVersion | undefined {
  let found: KeyVersion | undefined;
  for (const v of versions) if (v.at <= asOf && (!found || v.at >= found.at)) found = v;
  return found;
}

export function decideRestore(
  atTime: KeyVersion | undefined,
  current: IndexFile | undefined,
  retainedSince?: string,
): RestoreAction {
  const live = current && !current.generated && current.desired.op === "put" ? current.desired : undefined;
  if (!atTime || atTime.desired.op === "delete") return live ? { action: "delete" } : { action: "none" };
  const target = atTime.desired;
  if (live && (live.version === target.version || sameBytes(live, target))) return { action: "none" };
  if (target.source.key === "") {
    return {
      action: "unrestorable",
      reason: `version ${target.version} was adopted from the bucket and never staged; its bytes are gone`,
    };
  }
  if (retainedSince !== undefined && atTime.at < retainedSince) {
    return {
      action: "unrestorable",
      reason:
        `version ${target.version} was staged at ${atTime.at}, ` +
        "before the retention window; its bytes have expired",
    };
  }
  return { action: "put", target };
}

function sameBytes(a: DesiredPut, b: DesiredPut): boolean {
  return a.source.key !== "" && JSON.stringify(a.source) === JSON.stringify(b.source) && a.mtime === b.mtime;
}

/** The oldest point in time whose bytes are still retained. */
export function oldestRestorable(now: Date, retentionDays: number): Date {
  return new Date(now.getTime() - retentionDays * 86_400_000);
}

const ISO_TIME = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d)(?::(\d\d)(\.\d{1,9})?)?(Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)$/;

/**
 * An ISO 8601 time with its zone (Z or ±hh:mm), or undefined. Date.parse alone would take "Nov 25" or "1"
 * (read as years in 2001) and roll 2026-02-30 over into March; a restore to such a time is never meant.
 */
export function parseIsoTime(text: string): Date | undefined {
  const m = ISO_TIME.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map((v) => Number(v ?? 0));
  const wall = new Date(Date.UTC(year!, month! - 1, day, hour, minute, second));
  const fields = [wall.getUTCFullYear(), wall.getUTCMonth() + 1, wall.getUTCDate()];
  fields.push(wall.getUTCHours(), wall.getUTCMinutes(), wall.getUTCSeconds());
  if (fields.some((v, i) => v !== [year, month, day, hour, minute, second][i])) return undefined;
  const zone = m[8]!;
  const sign = zone[0] === "-" ? -1 : 1;
  // Stryker disable next-line ConditionalExpression,StringLiteral: equivalent, "Z" alone also comes to 0 minutes
  const offsetMinutes = zone === "Z" ? 0 : sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4)));
  const millis = Math.floor(Number(`0${m[7] ?? ""}`) * 1000);
  return new Date(wall.getTime() + millis - offsetMinutes * 60_000);
}
