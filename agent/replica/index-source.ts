// The diff's view of the index through the replica (agent/sync/diff.ts, IndexSource): a current directory
// from the replica's rows; any other, and any the diff finds something to do in, from DynamoDB — strongly
// consistent, so the rows are at least as new as the generation read before them — and the replica's rows
// replaced by what was read; of a current directory with only a few files to look at, just those files are
// read and their rows replaced. A current directory last found all unchanged by a scan with the same
// fingerprint is answered without its rows (agent/sync/diff.ts); the fingerprints found this run are
// written when the diff finishes, and any change to a directory's rows clears its own (replica.ts).
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { getDirectoryFiles, queryDirectory } from "../../aws/index/files.ts";
import type { DirectoryEntry } from "../../aws/index/records.ts";
import type { IndexSource } from "../sync/diff.ts";
import type { Freshness } from "./freshness.ts";
import type { IndexReplica } from "./replica.ts";

export class ReplicaSource implements IndexSource {
  readonly #ddb: DynamoDBClient;
  readonly #table: string;
  readonly #replica: IndexReplica;
  readonly #freshness: Freshness;
  readonly #seen: Map<string, string>;
  readonly #found = new Map<string, string>();

  /** `seen`: the replica's fingerprints of directories last found all unchanged. */
  constructor(
    ddb: DynamoDBClient,
    table: string,
    replica: IndexReplica,
    freshness: Freshness,
    seen: Map<string, string>,
  ) {
    this.#ddb = ddb;
    this.#table = table;
    this.#replica = replica;
    this.#freshness = freshness;
    this.#seen = seen;
  }

  lastSeen(dir: string): string | undefined {
    const print = this.#seen.get(dir);
    return print !== undefined && this.#freshness.isCurrent(dir) ? print : undefined;
  }

  recordUnchanged(dir: string, fingerprint: string): void {
    this.#found.set(dir, fingerprint);
  }

  finish(): void {
    if (this.#found.size > 0) this.#replica.setSeen(this.#found);
    this.#found.clear();
  }

  replicated(dir: string): DirectoryEntry[] | undefined {
    return this.#freshness.isCurrent(dir) ? this.#replica.entries(dir) : undefined;
  }

  async readFiles(dir: string, names: string[]): Promise<Map<string, DirectoryEntry | undefined>> {
    const read = await getDirectoryFiles(this.#ddb, this.#table, dir, names);
    this.#replica.replaceFiles(dir, read);
    return read;
  }

  async read(dir: string): Promise<DirectoryEntry[]> {
    const generation = this.#freshness.generationRead(dir);
    const entries: DirectoryEntry[] = [];
    for await (const page of queryDirectory(this.#ddb, this.#table, dir, true)) entries.push(...page);
    this.#replica.replaceDirectory(dir, entries, generation);
    this.#freshness.recorded.set(dir, generation);
    return entries;
  }
}
