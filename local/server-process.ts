// One local server in a child process of its own (LocalServersOptions.processes), seen from the parent: it
// starts the child, learns its port, asks its observer for figures and stops it. The child's side is
// server-process-main.ts. The child leaves by itself when the parent goes (its IPC channel closes), so a
// killed test or bench never leaves a server behind.
import { fork, type ChildProcess } from "node:child_process";

export type LocalService = "s3" | "sqs" | "dynamodb";

export interface ServerProcessOptions {
  /** Each server process's old-generation size, MiB (the S3 one holds every object's bytes). */
  heapMb?: number;
  /**
   * A module each server process imports before it starts; its `observe()` export answers
   * LocalServers.observe(). The bench counts requests where they arrive this way.
   */
  observer?: string;
}

/** What the parent sends: a request for the observer's figures, or the order to stop. */
export type ToServer = { type: "observe"; id: number } | { type: "stop" };
/** What the child sends: its port once it listens, the observer's figures, or why it could not start. */
export type FromServer =
  | { type: "listening"; port: number }
  | { type: "observed"; id: number; value: unknown }
  | { type: "failed"; error: string };

export interface ServerProcess {
  port: number;
  observe(): Promise<unknown>;
  stop(): Promise<void>;
}

const MAIN = new URL("./server-process-main.ts", import.meta.url);
const DEFAULT_HEAP_MB = 8192;

export async function startServerProcess(service: LocalService, options: ServerProcessOptions): Promise<ServerProcess> {
  const child = fork(MAIN, [service, options.observer ?? ""], {
    execArgv: [
      "--disable-warning=ExperimentalWarning",
      `--max-old-space-size=${options.heapMb ?? DEFAULT_HEAP_MB}`,
      ...process.execArgv.filter((a) => a.startsWith("--cpu-prof")),
    ],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    const onMessage = (message: FromServer) => {
      if (message.type === "listening") resolve(message.port);
      else if (message.type === "failed")
        reject(new Error(`the local ${service} server did not start: ${message.error}`));
    };
    child.on("message", onMessage);
    child.once("exit", (code) =>
      reject(new Error(`the local ${service} server exited (code ${code}) before listening`)),
    );
  });
  return { port, observe: observer(child), stop: () => stopChild(child, exited) };
}

function observer(child: ChildProcess): () => Promise<unknown> {
  let next = 0;
  const waiting = new Map<number, (value: unknown) => void>();
  child.on("message", (message: FromServer) => {
    if (message.type !== "observed") return;
    waiting.get(message.id)?.(message.value);
    waiting.delete(message.id);
  });
  return () =>
    new Promise((resolve) => {
      const id = next++;
      waiting.set(id, resolve);
      child.send({ type: "observe", id } satisfies ToServer);
    });
}

async function stopChild(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.send({ type: "stop" } satisfies ToServer);
  // A server that does not close within seconds is killed: stopping must not hang a test or the bench.
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
}
