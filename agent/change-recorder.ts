// Records the keys a run changed, in pages in the version store, for PostSync to regenerate listings and
// invalidate exactly what changed. Pages are written as they fill, so memory stays bounded.
import type { S3Client } from "@aws-sdk/client-s3";
import { changePageKey, CHANGES_PER_PAGE, putJson, type ChangePage } from "../aws/run-artifacts.ts";

export class ChangeRecorder {
  readonly #s3: S3Client;
  readonly #bucket: string;
  readonly #runId: string;
  #page: ChangePage = { puts: [], deletes: [] };
  #writes: Promise<void>[] = [];
  pages = 0;

  constructor(s3: S3Client, bucket: string, runId: string) {
    this.#s3 = s3;
    this.#bucket = bucket;
    this.#runId = runId;
  }

  record(op: "put" | "delete", key: string): void {
    (op === "put" ? this.#page.puts : this.#page.deletes).push(key);
    if (this.#page.puts.length + this.#page.deletes.length >= CHANGES_PER_PAGE) this.#flush();
  }

  #flush(): void {
    const page = this.#page;
    this.#page = { puts: [], deletes: [] };
    if (page.puts.length + page.deletes.length === 0) return;
    this.#writes.push(putJson(this.#s3, this.#bucket, changePageKey(this.#runId, this.pages++), page));
  }

  /** Writes the last page and resolves when every page is stored; returns the number of pages. */
  async close(): Promise<number> {
    this.#flush();
    await Promise.all(this.#writes);
    return this.pages;
  }
}
