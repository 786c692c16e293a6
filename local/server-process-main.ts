// The child's side of local/server-process.ts: one local server on loopback, in memory, in this process.
// argv: the service (s3, sqs or dynamodb) and an observer module (or ""). S3 and SQS are each a fauxqs of
// their own, so object traffic and queue polling do not share an event loop.
import type { Server } from "node:http";
import type { FromServer, LocalService, ToServer } from "./server-process.ts";
import { closeDynalite, portOf, startDynaliteOnLoopback, startFauxqsOnLoopback } from "./servers.ts";

const [service, observerModule] = process.argv.slice(2) as [LocalService, string];
const send = (message: FromServer) => process.send?.(message);

try {
  const observer = observerModule ? ((await import(observerModule)) as { observe(): unknown }) : undefined;
  let server: Server;
  let close: () => Promise<void>;
  if (service === "dynamodb") {
    server = await startDynaliteOnLoopback(0, undefined);
    close = () => closeDynalite(server);
  } else {
    const fauxqs = await startFauxqsOnLoopback(0, undefined);
    server = fauxqs.server;
    close = fauxqs.close;
  }
  process.on("message", (message: ToServer) => {
    if (message.type === "observe") send({ type: "observed", id: message.id, value: observer?.observe() });
    else void close().finally(() => process.exit(0));
  });
  // The parent went away without stopping us: leave too.
  process.on("disconnect", () => process.exit(0));
  send({ type: "listening", port: portOf(server) });
} catch (err) {
  send({ type: "failed", error: (err as Error)?.stack ?? String(err) });
  process.exit(1);
}
