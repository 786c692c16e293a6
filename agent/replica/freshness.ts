// Which directories of the replica are current: the ones whose rows were recorded at the generation the
// index holds for them now, with no writer in the middle of writing them (aws/index/generations.ts). A
// directory without a generation item has generation 0: no writer has touched it since generations exist.
import { beingWritten } from "../../aws/index/generations.ts";
import type { DirectoryGeneration } from "../../aws/index/records.ts";

export class Freshness {
  readonly #now: number;
  readonly #index: Map<string, DirectoryGeneration>;
  /** The replica's recorded generations, kept in step with what is recorded during the run. */
  readonly recorded: Map<string, number | null>;

  /**
   * `index`: the generations read from DynamoDB at the start of the run, before any directory is read;
   * `recorded`: the replica's.
   */
  constructor(index: Map<string, DirectoryGeneration>, recorded: Map<string, number | null>, nowMs = Date.now()) {
    this.#index = index;
    this.recorded = recorded;
    this.#now = nowMs;
  }

  /** Whether the replica's rows of `dir` are what the index holds (publication and listings aside). */
  isCurrent(dir: string): boolean {
    const recorded = this.recorded.get(dir);
    if (recorded === undefined || recorded === null) return false;
    const generation = this.#index.get(dir);
    return !beingWritten(generation, this.#now) && recorded === (generation?.generation ?? 0);
  }

  /**
   * The generation to record with rows of `dir` just read from DynamoDB: the one read before them (a writer
   * that wrote after it advanced it past), or null while a writer may still be writing.
   */
  generationRead(dir: string): number | null {
    const generation = this.#index.get(dir);
    return beingWritten(generation, this.#now) ? null : (generation?.generation ?? 0);
  }

  /** Directories known to the replica that are not current. */
  staleCount(): number {
    let stale = 0;
    for (const dir of this.recorded.keys()) if (!this.isCurrent(dir)) stale += 1;
    return stale;
  }
}
