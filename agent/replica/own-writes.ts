// The agent's own index writes, into the replica once DynamoDB has taken them, and what they do to the
// replica's generations. Each write advanced the written directories' generations twice (begin, end), and
// the adapter returned the values (aws/index/generations.ts). At the end of the run a directory stays
// current only if the highest value its writes saw is exactly its recorded generation plus this run's own
// advances, with no writer left mid-write then: nobody else wrote it meanwhile. Otherwise it is recorded
// as not current and the next run reads it. The recorded generation itself moves only then, so an agent
// killed mid-run leaves every directory it wrote behind the index's generation: read again next time.
import type { GenerationMark, IndexWrite } from "../../aws/index/records.ts";
import type { Published } from "../../core/index-record.ts";
import type { IndexReplica } from "./replica.ts";

type FileStat = { mtime: string; ctime?: string; ino?: string };

interface Touched {
  /** The generation recorded for the directory when this run first wrote it (null: not known current). */
  before: number | null;
  advances: number;
  highest: number;
  /** Writers counted at the highest mark (this run's own are all ended by then). */
  writersAtHighest: number;
}

export class ReplicaRecorder {
  readonly #replica: IndexReplica;
  readonly #recorded: Map<string, number | null>;
  readonly #touched = new Map<string, Touched>();

  /** `recorded`: the replica's recorded generations as the diff left them. */
  constructor(replica: IndexReplica, recorded: Map<string, number | null>) {
    this.#replica = replica;
    this.#recorded = recorded;
  }

  /** Desired records, directory markers (and history, which the replica does not keep), as written. */
  recordWrites(writes: Array<{ write: IndexWrite; keepPublished?: Published }>, marks: GenerationMark[]): void {
    this.#count(marks);
    this.#replica.applyWrites(writes);
  }

  /** Desired records moved to the run re-sending them (`keys`: the ones whose version was still desired). */
  recordRunMoves(keys: string[], run: string, marks: GenerationMark[]): void {
    this.#count(marks);
    this.#replica.moveToRun(keys, run);
  }

  /** A file's status recorded on its desired version (`stat` undefined: the version had moved on). */
  recordStats(
    stats: Array<{ key: string; version: string; stat: FileStat | undefined }>,
    marks: GenerationMark[],
  ): void {
    this.#count(marks);
    this.#replica.setStats(stats.flatMap(({ key, version, stat }) => (stat ? [{ key, version, stat }] : [])));
  }

  /** After the run's writes all succeeded: the generations the written directories are current at. */
  settle(): { current: number; stale: number } {
    const generations = new Map<string, number | null>();
    let current = 0;
    for (const [dir, t] of this.#touched) {
      const alone = t.before !== null && t.highest === t.before + t.advances && t.writersAtHighest === 0;
      generations.set(dir, alone ? t.highest : null);
      if (alone) current += 1;
    }
    this.#replica.setGenerations(generations);
    for (const [dir, generation] of generations) this.#recorded.set(dir, generation);
    this.#touched.clear();
    return { current, stale: generations.size - current };
  }

  #count(marks: GenerationMark[]): void {
    for (const mark of marks) {
      let t = this.#touched.get(mark.dir);
      if (!t) {
        t = { before: this.#recorded.get(mark.dir) ?? null, advances: 0, highest: -1, writersAtHighest: 0 };
        this.#touched.set(mark.dir, t);
      }
      t.advances += 1;
      if (mark.generation > t.highest) {
        t.highest = mark.generation;
        t.writersAtHighest = mark.writers;
      }
    }
  }
}
