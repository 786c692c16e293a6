// The index's view of one published key: what we want published (desired, written by the agent before it
// sends a manifest entry) and what is published (written by the apply handler after the bucket has it).
// The DynamoDB item layout lives in aws/index/items.ts; this is the shape the logic works with.

/** Where a version's bytes sit in the version store: a range of a pack, or an object of its own. */
export type BytesLocation = { key: string; offset: number; length: number } | { key: string };

export interface DesiredPut {
  op: "put";
  version: string;
  size: number;
  /** Nanoseconds since the epoch, decimal string (core/mtime.ts). */
  mtime: string;
  contentType: string;
  source: BytesLocation;
  /** The run that set this desired state. */
  run: string;
  /**
   * The file's inode change time, nanoseconds since the epoch like mtime, and its inode number (decimal), as
   * the agent last saw them. Absent on records written before they were kept and on adopted ones.
   */
  ctime?: string;
  ino?: string;
  /**
   * SHA-256 of the bytes, lowercase hex, computed as the agent read the file: what the apply handler checks
   * the staged bytes against, and what tells a re-upload of the same bytes. Absent on older and adopted records.
   */
  sha256?: string;
}

export interface DesiredDelete {
  op: "delete";
  version: string;
  run: string;
}

export type Desired = DesiredPut | DesiredDelete;

export interface Published {
  version: string;
  at: string;
  run: string;
  /** Rewrite copies (full keys) that exist in the bucket for this version. */
  copies: string[];
}

export interface IndexFile {
  /** Full bucket key. */
  key: string;
  desired: Desired;
  published?: Published;
  /** A listing page made by PostSync rather than a file of the site. */
  generated?: boolean;
}

export function isPack(location: BytesLocation): location is { key: string; offset: number; length: number } {
  return "offset" in location;
}
