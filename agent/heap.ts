// Where the agent runs, and under which heap cap: a pure decision over how the process was started.
//
// V8 sizes a process's heap from the machine's memory (4 GiB here) and collects lazily, so an agent whose
// live heap is ~30 MB let its garbage, and the file buffers that garbage held, grow with the tree (430 MiB
// RSS at 100,000 files). The cap is a start-up flag. The bundle's first line passes it (`env -S node
// --max-old-space-size=128`), as does the installed `sitesync` command (docs/operations.md); a process
// started without it runs the agent in a worker thread whose resourceLimits set the cap instead — correct,
// but a worker costs a second start of Node's internals and a second compile of the bundle: about 0.3 s of
// CPU on every run, most of a no-change run on a small site.

/**
 * The old generation's cap, MiB: four times the agent's live heap on a site of small directories (~30 MB);
 * a directory of a few hundred thousand files needs more: SITESYNC_HEAP_MB.
 */
export const DEFAULT_HEAP_MB = 128;

/** The V8 flag that caps the old generation at start-up. */
export const HEAP_FLAG = "--max-old-space-size";

export type AgentThread = { where: "this-thread" } | { where: "worker"; heapMb: number | undefined };

/**
 * | SITESYNC_HEAP_MB   | --max-old-space-size at start-up | the agent runs                                  |
 * |--------------------|----------------------------------|-------------------------------------------------|
 * | unset              | given                            | in this thread, under the start-up cap          |
 * | unset              | not given                        | in a worker capped at DEFAULT_HEAP_MB           |
 * | a positive number  | -                                | in a worker capped at that many MiB             |
 * | anything else      | -                                | in a worker without a cap (as asked: no limit)  |
 *
 * SITESYNC_HEAP_MB wins over the start-up flag: it is what an operator sets after a run ran out of heap, and
 * in a worker that happens as exit 1 with a message naming it, where in this thread V8 would abort the process.
 */
export function agentThread(execArgv: readonly string[], heapEnv: string | undefined): AgentThread {
  if (heapEnv === undefined) {
    // V8 takes its flags with dashes or underscores, the value after "=" or as the next argument.
    const flags = execArgv.map((arg) => arg.split("=")[0]!.replaceAll("_", "-"));
    const capped = flags.includes(HEAP_FLAG);
    return capped ? { where: "this-thread" } : { where: "worker", heapMb: DEFAULT_HEAP_MB };
  }
  const heapMb = Number(heapEnv);
  return { where: "worker", heapMb: Number.isFinite(heapMb) && heapMb > 0 ? heapMb : undefined };
}
