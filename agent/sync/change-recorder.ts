// Records the keys a run changed, in pages in the version store, for PostSync to regenerate listings and
// invalidate exactly what changed. A batch's page is stored, and counted in the run's record, before the
// batch is sent: a run that dies mid-way leaves pages for everything it sent, so the PostSync a later run
// starts for it still covers all of it.
import type { S3Client } from "@aws-sdk/client-s3";
import { changePageKey, CHANGES_PER_PAGE, putJson, type ChangePage } from "../../aws/version-store.ts";

export class ChangeRecorder {
  readonly #s3: S3Client;
  readonly #bucket: string;
  readonly #runId: string;
  readonly #onPage: (page: number) => Promise<void>;
  #next = 0;

  /** `onPage` records a stored page (pages are stored concurrently, in any order). */
  constructor(s3: S3Client, bucket: string, runId: string, onPage: (page: number) => Promise<void>) {
    this.#s3 = s3;
    this.#bucket = bucket;
    this.#runId = runId;
    this.#onPage = onPage;
  }

  /** Pages numbered so far; after every record() has resolved, the number of pages stored. */
  get pages(): number {
    return this.#next;
  }

  /** Stores these changes as one or more pages; resolves once they are stored and counted. */
  async record(changes: Array<{ op: "put" | "delete"; key: string }>): Promise<void> {
    const writes: Array<Promise<void>> = [];
    for (let i = 0; i < changes.length; i += CHANGES_PER_PAGE) {
      const page: ChangePage = { puts: [], deletes: [] };
      for (const { op, key } of changes.slice(i, i + CHANGES_PER_PAGE))
        (op === "put" ? page.puts : page.deletes).push(key);
      const n = this.#next++;
      writes.push(putJson(this.#s3, this.#bucket, changePageKey(this.#runId, n), page).then(() => this.#onPage(n)));
    }
    await Promise.all(writes);
  }
}
