// Modification times travel as decimal strings of nanoseconds since the epoch: full resolution (FTP
// clients may set any mtime, and any difference is a change), exact to compare, and safe in JSON and
// DynamoDB where a 64-bit integer would lose precision.

export function mtimeFromNs(ns: bigint): string {
  return ns.toString();
}

export function mtimeToDate(mtime: string): Date {
  return new Date(Number(BigInt(mtime) / 1_000_000n));
}

/** Seconds and nanoseconds for utimes-style APIs that take fractional seconds. */
export function mtimeToSeconds(mtime: string): number {
  const ns = BigInt(mtime);
  return Number(ns / 1_000_000_000n) + Number(ns % 1_000_000_000n) / 1e9;
}

export function isMtime(value: unknown): value is string {
  return typeof value === "string" && /^-?\d{1,21}$/.test(value);
}
