// One row of the replica per item of the index's directory partitions, and back: the entries the diff merges,
// field for field as aws/index/items.ts decodes them from DynamoDB. Columns rather than one JSON document
// per row: a no-change run reads every row, and building records from columns costs a third of parsing
// JSON. A field of the records this codec does not know yet (added by a newer agent) travels in `x` as JSON,
// so the replica never drops what the index holds.
import type { SQLInputValue, SQLOutputValue } from "node:sqlite";
import type { DirectoryEntry } from "../../aws/index/records.ts";
import type { Desired, DesiredPut, IndexFile, Published } from "../../core/index-record.ts";
import { joinKey } from "../../core/keys.ts";

/** The row's columns after `dir`, in the order of the table, the INSERT and the SELECT. */
export const ENTRY_COLUMNS = [
  "sk",
  "pending",
  "op",
  "v",
  "run",
  "size",
  "mtime",
  "ctime",
  "ino",
  "sha",
  "ct",
  "src",
  "so",
  "sl",
  "pv",
  "pat",
  "prun",
  "pcp",
  "gen",
  "hash",
  "x",
] as const;

const KNOWN_FILE = new Set(["key", "desired", "published", "generated"]);
const KNOWN_DESIRED = new Set([
  "op",
  "version",
  "run",
  "size",
  "mtime",
  "ctime",
  "ino",
  "sha256",
  "contentType",
  "source",
]);
const KNOWN_PUBLISHED = new Set(["version", "at", "run", "copies"]);

/** A directory entry as the values of its row (after `dir`). */
export function entryRow(entry: DirectoryEntry): SQLInputValue[] {
  if (entry.kind === "dir") return [`${entry.name}/`, 0, ...new Array<null>(ENTRY_COLUMNS.length - 2).fill(null)];
  const { file } = entry;
  const d = file.desired;
  const put: DesiredPut | undefined = d.op === "put" ? d : undefined;
  const p = file.published;
  const source = put?.source;
  const extra = unknownFields(file);
  return [
    entry.name,
    isPending(file) ? 1 : 0,
    d.op,
    d.version,
    d.run,
    put ? put.size : null,
    put ? put.mtime : null,
    put?.ctime ?? null,
    put?.ino ?? null,
    put?.sha256 ?? null,
    put ? put.contentType : null,
    source ? source.key : null,
    source && "offset" in source ? source.offset : null,
    source && "offset" in source ? source.length : null,
    p ? p.version : null,
    p ? p.at : null,
    p ? p.run : null,
    p && p.copies.length > 0 ? JSON.stringify(p.copies) : null,
    file.generated ? 1 : null,
    entry.listingHash ?? null,
    extra ? JSON.stringify(extra) : null,
  ];
}

/** A row (selected as an array of ENTRY_COLUMNS) of directory `dir` as the entry the diff merges. */
export function rowEntry(dir: string, r: SQLOutputValue[]): DirectoryEntry {
  const sk = r[0] as string;
  if (r[2] === null) return { kind: "dir", name: sk.slice(0, -1) };
  const run = r[4] as string;
  const version = r[3] as string;
  let desired: Desired;
  if (r[2] === "delete") desired = { op: "delete", version, run };
  else {
    const put: DesiredPut = {
      op: "put",
      version,
      run,
      size: r[5] as number,
      mtime: r[6] as string,
      contentType: r[10] as string,
      source:
        r[12] === null
          ? { key: r[11] as string }
          : { key: r[11] as string, offset: r[12] as number, length: r[13] as number },
    };
    if (r[7] !== null) put.ctime = r[7] as string;
    if (r[8] !== null) put.ino = r[8] as string;
    if (r[9] !== null) put.sha256 = r[9] as string;
    desired = put;
  }
  const file: IndexFile = { key: joinKey(dir, sk), desired };
  if (r[14] !== null) {
    const published: Published = {
      version: r[14] as string,
      at: r[15] as string,
      run: r[16] as string,
      copies: r[17] === null ? [] : (JSON.parse(r[17] as string) as string[]),
    };
    file.published = published;
  }
  if (r[18] !== null) file.generated = true;
  if (r[20] !== null) restoreUnknownFields(file, JSON.parse(r[20] as string) as Extra);
  return r[19] !== null
    ? { kind: "file", name: sk, file, listingHash: r[19] as string }
    : { kind: "file", name: sk, file };
}

/** A desired record that is not published (a generated listing is published as it is written). */
export const isPending = (file: IndexFile): boolean =>
  !file.generated && file.published?.version !== file.desired.version;

type Extra = { f?: Record<string, unknown>; d?: Record<string, unknown>; p?: Record<string, unknown> };

function unknownFields(file: IndexFile): Extra | undefined {
  const pick = (o: object | undefined, known: Set<string>) => {
    const rest = Object.entries(o ?? {}).filter(([k, v]) => !known.has(k) && v !== undefined);
    return rest.length > 0 ? Object.fromEntries(rest) : undefined;
  };
  const extra: Extra = {};
  const f = pick(file, KNOWN_FILE);
  const d = pick(file.desired, KNOWN_DESIRED);
  const p = pick(file.published, KNOWN_PUBLISHED);
  if (f) extra.f = f;
  if (d) extra.d = d;
  if (p) extra.p = p;
  return f || d || p ? extra : undefined;
}

function restoreUnknownFields(file: IndexFile, extra: Extra): void {
  if (extra.f) Object.assign(file, extra.f);
  if (extra.d) Object.assign(file.desired, extra.d);
  if (extra.p && file.published) Object.assign(file.published, extra.p);
}
