// CloudFront KeyValueStore has no local server: like the invalidations (fake-cloudfront.ts), the store is a
// strict fake. It refuses what the service refuses — a stale ETag (IfMatch), a key over 512 bytes, a value
// over 1 KB, a store over 5 MB (CloudFront quotas:
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html) — and it is
// what the local server's functions read (local/serve.ts), so PostSync's writes are what the site serves.
import type { KeyValueStoreService } from "../aws/edge-store.ts";
import { EDGE_LIMITS } from "../core/edge-rules.ts";
import type { KeyValueStoreReader } from "./cloudfront-functions.ts";

export class KeyValueStoreError extends Error {
  override readonly name: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = code;
  }
}

const bytes = (s: string) => Buffer.byteLength(s, "utf8");

export class FakeKeyValueStore implements KeyValueStoreService, KeyValueStoreReader {
  readonly #entries = new Map<string, string>();
  #version = 0;
  /** Every UpdateKeys accepted, for tests. */
  readonly updates: Array<{ puts: number; deletes: number }> = [];

  async get(key: string): Promise<string | undefined> {
    return this.#entries.get(key);
  }

  async read() {
    return { entries: new Map(this.#entries), etag: this.#etag() };
  }

  async update(etag: string, puts: Array<{ key: string; value: string }>, deletes: string[]): Promise<string> {
    if (etag !== this.#etag()) {
      throw new KeyValueStoreError("ConflictException", `the store is at ${this.#etag()}, not ${etag}`);
    }
    const next = new Map(this.#entries);
    for (const key of deletes) next.delete(key);
    for (const { key, value } of puts) {
      if (bytes(key) === 0 || bytes(key) > EDGE_LIMITS.keyBytes) {
        throw new KeyValueStoreError("ValidationException", `key of ${bytes(key)} bytes: 1 to 512 allowed`);
      }
      if (bytes(value) > EDGE_LIMITS.valueBytes) {
        throw new KeyValueStoreError("ValidationException", `value of ${bytes(value)} bytes for ${key}: at most 1 KB`);
      }
      next.set(key, value);
    }
    const total = [...next].reduce((sum, [k, v]) => sum + bytes(k) + bytes(v), 0);
    if (total > EDGE_LIMITS.keyValueStoreBytes) {
      throw new KeyValueStoreError("ServiceQuotaExceededException", `the store would hold ${total} bytes, over 5 MB`);
    }
    this.#entries.clear();
    for (const [k, v] of next) this.#entries.set(k, v);
    this.#version++;
    this.updates.push({ puts: puts.length, deletes: deletes.length });
    return this.#etag();
  }

  #etag(): string {
    return `KV${this.#version}`;
  }
}
