// Directory generations: how a host's replica of the index (agent/replica/) learns which directories other
// writers changed, without reading them. Each directory has a small item in one partition ("gens") whose
// number every writer of the directory's file records advances twice — as it begins and once it has ended
// — while counting itself among the directory's writers meanwhile. The adapter does it for its callers
// (files.ts: writeIndex, setDesiredRuns, setDesiredMtime), so no writer can forget it: the agent's sync
// and adoption, the Restore workflow's site pages, a host restore's mtime records.
//
// Why both ends: the advance at the end tells a reader that read the directory while it was being written
// that it missed something; the advance at the start still tells every reader that read it before, if the
// writer dies before its end. The writer count closes the last gap (a reader in the middle of a writer that
// then dies): a directory with writers is never recorded as current while its last writer began less than
// an hour ago (one write of one directory is a batch: seconds; a Lambda step at most 15 minutes).
//
// Not advanced by the apply handler (publication records) and PostSync (generated listings): a replica's
// stale publication state or listing can only make the agent read the directory, never decide without it
// (agent/sync/diff.ts).
import { randomUUID } from "node:crypto";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { mapLimit } from "../../core/concurrency.ts";
import {
  directoryGeneration,
  epochId,
  epochKey,
  epochPut,
  generationBegin,
  generationEnd,
  generationsQuery,
} from "./items.ts";
import type { DirectoryGeneration, GenerationMark } from "./records.ts";
import { getItem, putIf, queryPages, updateReturning } from "./table.ts";

/** Directories advanced at once. */
const ADVANCES_IN_FLIGHT = 16;

/** How long a writer counted in a directory is believed to be alive. */
export const WRITER_LEASE_MS = 60 * 60_000;

/**
 * Runs `write` (file records of `dirs`) between the two advances of each directory's generation. The end
 * is advanced whatever `write` does: what it wrote before failing is noticed too. Returns `write`'s value
 * and the marks of every advance, for a replica that wants to know whether anyone else wrote meanwhile.
 */
export async function advancingGenerations<T>(
  ddb: DynamoDBClient,
  table: string,
  dirs: Iterable<string>,
  write: () => Promise<T>,
): Promise<{ value: T; marks: GenerationMark[] }> {
  const list = [...new Set(dirs)];
  const marks: GenerationMark[] = [];
  const begun: string[] = [];
  const at = new Date().toISOString();
  const advance = async (dir: string, begin: boolean) => {
    const item = await updateReturning(ddb, table, begin ? generationBegin(dir, at) : generationEnd(dir));
    const { generation, writers } = directoryGeneration(item);
    marks.push({ dir, generation, writers });
    if (begin) begun.push(dir);
  };
  let outcome: { value: T } | { error: unknown };
  try {
    await mapLimit(list, ADVANCES_IN_FLIGHT, (dir) => advance(dir, true));
    outcome = { value: await write() };
  } catch (error) {
    outcome = { error };
  }
  // A begun writer always ends. If the end cannot be recorded, the writer stays counted until its lease
  // runs out (no reader trusts the directory meanwhile); that error is thrown unless one came first.
  try {
    await mapLimit(begun.slice(), ADVANCES_IN_FLIGHT, (dir) => advance(dir, false));
  } catch (error) {
    if ("value" in outcome) outcome = { error };
  }
  if ("error" in outcome) throw outcome.error;
  return { value: outcome.value, marks };
}

/**
 * The generations of every directory under a site prefix: one paged Query of small items. Eventually
 * consistent on purpose: an old answer only makes a reader read a directory again; the directories are
 * read strongly consistent after it, so no answer is ever newer than what the reader then reads.
 */
export async function readGenerations(
  ddb: DynamoDBClient,
  table: string,
  prefix: string,
): Promise<Map<string, DirectoryGeneration>> {
  const found = new Map<string, DirectoryGeneration>();
  for await (const items of queryPages(ddb, table, generationsQuery(prefix), false)) {
    for (const item of items) {
      const generation = directoryGeneration(item);
      found.set(generation.dir, generation);
    }
  }
  return found;
}

/** Whether a writer may still be writing the directory (counted, and began within the lease). */
export function beingWritten(generation: DirectoryGeneration | undefined, nowMs: number): boolean {
  if (!generation || generation.writers <= 0) return false;
  const since = Date.parse(generation.writingSince ?? "");
  return Number.isNaN(since) || nowMs - since < WRITER_LEASE_MS;
}

/**
 * The table's epoch: an id made once per table (by the first agent run that needs it, unless `create` is
 * false), so a replica made from a table that was since deleted and created again is never trusted.
 */
export async function indexEpoch(ddb: DynamoDBClient, table: string, create: boolean): Promise<string | undefined> {
  const existing = await getItem(ddb, table, epochKey());
  if (existing) return epochId(existing);
  if (!create) return undefined;
  const id = randomUUID();
  if (await putIf(ddb, table, epochPut(id, new Date().toISOString()))) return id;
  // Another host made it first.
  const made = await getItem(ddb, table, epochKey());
  return made ? epochId(made) : undefined;
}
