// How much CPU other processes took while the bench measured: on a shared two-core machine a test suite run
// next to the bench halves what it measures, so every block of the report says how quiet the machine was.
// Machine-wide busy time (/proc/stat) minus the bench's own (itself plus every child it has waited for, which
// is every child once a block has ended: /proc/self/stat's cutime and cstime).
import { readFileSync } from "node:fs";

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

interface CpuSample {
  busy: number;
  own: number;
  at: number;
}

export interface Noise {
  wallSeconds: number;
  /** CPU seconds other processes used during the block. */
  otherCpuSeconds: number;
  /** The same, as a share of the machine's capacity over the block (1 = every core busy). */
  share: number;
}

function sample(): CpuSample | undefined {
  try {
    const cpu = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = cpu;
    // The command name (field 2) may hold spaces; fields after it are counted from its closing parenthesis.
    const stat = readFileSync("/proc/self/stat", "utf8");
    const fields = stat
      .slice(stat.lastIndexOf(")") + 2)
      .split(" ")
      .map(Number);
    const own = fields.slice(11, 15).reduce((a, b) => a + b, 0); // utime, stime, cutime, cstime
    return { busy: user + nice + system + irq + softirq + steal, own, at: Date.now() };
  } catch {
    return undefined; // not Linux: no figure
  }
}

/** Starts watching; call the returned function once the block's children have all exited. */
export function watchNoise(cores: number): () => Noise | undefined {
  const start = sample();
  return () => {
    const end = sample();
    if (!start || !end) return undefined;
    const wallSeconds = (end.at - start.at) / 1000;
    const otherCpuSeconds = Math.max(0, (end.busy - start.busy - (end.own - start.own)) / TICKS_PER_SECOND);
    return { wallSeconds, otherCpuSeconds, share: wallSeconds > 0 ? otherCpuSeconds / (wallSeconds * cores) : 0 };
  };
}
