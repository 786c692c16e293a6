// A fault-injecting HTTP proxy in front of each local server (S3, SQS, DynamoDB), so the product's code meets
// the failures AWS really returns now and then: 500s, S3's 503 SlowDown, DynamoDB throttling, SQS errors in the
// protocol its client speaks (JSON 1.0), truncated bodies and dropped connections. A seeded share of requests
// gets a fault; each fault strikes either before the request reaches the server or after the server did it —
// the second is the nasty one: a PUT that succeeded, or an ADD that counted, whose answer is lost, so the
// client tries again a request that already happened.
//
// Tests can also hold a request (to pause one PUT while they move the index on) or drop it, and see every
// request go by (its body included) through an interceptor.
import { Agent, createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { seededRandom } from "../core/seeded-random.ts";

export type Service = "s3" | "sqs" | "dynamodb";
export const SERVICES: readonly Service[] = ["s3", "sqs", "dynamodb"];

export interface FaultOptions {
  /** Share of requests that get a fault, 0 to 1. */
  share: number;
  /** Seed of the proxies' pseudo-random choices (which request, which fault). */
  seed: number;
}

/** A request as it came in, body read whole. */
export interface ProxiedRequest {
  service: Service;
  method: string;
  /** Path and query, as sent. */
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/**
 * Sees every request before any fault is decided. Returning nothing lets the proxy go on as configured;
 * returning a promise holds the request until it resolves, then forwards it untouched or drops it (the
 * connection destroyed without an answer, the server never asked).
 */
export type Interceptor = (request: ProxiedRequest) => undefined | Promise<"forward" | "drop">;

/** Faults injected, by service, then by "<when> <what>" (e.g. "after drop", "before SlowDown"). */
export type FaultCounts = Record<Service, Record<string, number>>;

export interface FaultProxies {
  /** Where clients should point instead of the servers. */
  endpoints: Record<Service, string>;
  /** The share of requests faulted from now on (0 pauses the faults). */
  share: number;
  counts(): FaultCounts;
  /** Requests seen, by service. */
  requests(): Record<Service, number>;
  /** Faults injected in all, every service and kind. */
  total(): number;
  setInterceptor(interceptor: Interceptor | undefined): void;
  stop(): Promise<void>;
}

const HOST = "127.0.0.1";

/** An error answer as each service's protocol writes it. */
interface ServiceError {
  status: number;
  name: string;
  headers: Record<string, string>;
  body: string;
}

function s3Error(status: number, code: string): ServiceError {
  const body =
    `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code>` +
    `<Message>injected by the fault proxy</Message><RequestId>fault</RequestId></Error>`;
  return { status, name: code, headers: { "content-type": "application/xml" }, body };
}

function dynamoDbError(status: number, type: string): ServiceError {
  const name = type.slice(type.indexOf("#") + 1);
  const body = JSON.stringify({ __type: type, message: "injected by the fault proxy" });
  return { status, name, headers: { "content-type": "application/x-amz-json-1.0" }, body };
}

// The SQS client speaks AWS JSON 1.0 with query compatibility: the error code travels in x-amzn-query-error.
function sqsError(status: number, code: string, fault: "Sender" | "Receiver"): ServiceError {
  const body = JSON.stringify({ __type: `com.amazonaws.sqs#${code}`, message: "injected by the fault proxy" });
  return {
    status,
    name: code,
    headers: { "content-type": "application/x-amz-json-1.0", "x-amzn-query-error": `${code};${fault}` },
    body,
  };
}

const ERRORS: Record<Service, ServiceError[]> = {
  s3: [s3Error(500, "InternalError"), s3Error(503, "SlowDown"), s3Error(503, "ServiceUnavailable")],
  dynamodb: [
    dynamoDbError(500, "com.amazonaws.dynamodb.v20120810#InternalServerError"),
    dynamoDbError(400, "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException"),
    dynamoDbError(400, "com.amazon.coral.availability#ThrottlingException"),
  ],
  sqs: [
    sqsError(500, "InternalFailure", "Receiver"),
    sqsError(503, "ServiceUnavailable", "Receiver"),
    sqsError(400, "ThrottlingException", "Sender"),
  ],
};

/** Each fault, equally likely once a request is picked. */
const FAULTS = ["before error", "before drop", "after error", "after drop", "after truncated"] as const;
type Fault = (typeof FAULTS)[number];

// Hop-by-hop headers belong to one connection; the proxy makes its own. Expect is answered here (Node's
// server sends 100 Continue itself), so the server is sent the body at once.
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "te",
  "trailer",
  "upgrade",
  "expect",
]);

function forwardable(headers: IncomingHttpHeaders, body: Buffer): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
  }
  // The body was read whole (de-chunked): say how long it is.
  out["content-length"] = String(body.length);
  return out;
}

interface Upstream {
  status: number;
  headers: Record<string, string | string[]>;
  body: Buffer;
}

/**
 * Starts one proxy per service in front of `targets` (the servers' endpoints). S3 and SQS may share a
 * server: each proxy still knows its service's protocol.
 */
export async function startFaultProxies(
  targets: Record<Service, string>,
  options: FaultOptions,
): Promise<FaultProxies> {
  const counts = Object.fromEntries(SERVICES.map((s) => [s, {}])) as FaultCounts;
  const requests = Object.fromEntries(SERVICES.map((s) => [s, 0])) as Record<Service, number>;
  let interceptor: Interceptor | undefined;
  const state = { share: options.share };
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const servers: Array<{ server: Server; sockets: Set<Socket> }> = [];
  const endpoints = {} as Record<Service, string>;

  const count = (service: Service, what: string) => {
    counts[service][what] = (counts[service][what] ?? 0) + 1;
  };

  try {
    for (const [i, service] of SERVICES.entries()) {
      const target = new URL(targets[service]);
      // One sequence per service, so one service's traffic does not move the faults of another.
      const random = seededRandom(options.seed * 31 + i);
      const sockets = new Set<Socket>();

      const forward = (req: ProxiedRequest, abort: AbortSignal | undefined): Promise<Upstream> =>
        new Promise((resolve, reject) => {
          const upstream = httpRequest(
            {
              host: target.hostname,
              port: target.port,
              method: req.method,
              path: req.url,
              headers: forwardable(req.headers, req.body),
              agent,
              ...(abort ? { signal: abort } : {}),
            },
            (res) => {
              const chunks: Buffer[] = [];
              res.on("data", (c: Buffer) => chunks.push(c));
              res.on("error", reject);
              res.on("end", () => {
                const headers: Record<string, string | string[]> = {};
                for (const [name, value] of Object.entries(res.headers)) {
                  if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
                }
                resolve({ status: res.statusCode ?? 502, headers, body: Buffer.concat(chunks) });
              });
            },
          );
          upstream.on("error", reject);
          upstream.end(req.body);
        });

      const server = createServer(async (req, res) => {
        const chunks: Buffer[] = [];
        try {
          for await (const chunk of req) chunks.push(chunk as Buffer);
        } catch {
          return; // the client went away mid-request
        }
        requests[service] += 1;
        const request: ProxiedRequest = {
          service,
          method: req.method ?? "GET",
          url: req.url ?? "/",
          headers: req.headers,
          body: Buffer.concat(chunks),
        };
        // A client that gives up (an aborted long poll) takes its request to the server with it.
        const gone = new AbortController();
        res.on("close", () => {
          if (!res.writableFinished) gone.abort();
        });
        const drop = () => req.socket.destroy();

        const held = interceptor?.(request);
        let fault: Fault | undefined;
        if (held) {
          if ((await held) === "drop") return drop();
        } else if (random() < state.share) {
          fault = FAULTS[Math.floor(random() * FAULTS.length)]!;
        }
        const answerError = (when: string) => {
          const error = ERRORS[service][Math.floor(random() * ERRORS[service].length)]!;
          count(service, `${when} ${error.name}`);
          res.writeHead(error.status, { ...error.headers, "content-length": Buffer.byteLength(error.body) });
          res.end(error.body);
        };

        if (fault === "before error") return answerError("before");
        if (fault === "before drop") {
          count(service, "before drop");
          return drop();
        }
        let upstream: Upstream;
        try {
          // A held request goes on even if its client died meanwhile: the late write a killed process leaves.
          upstream = await forward(request, held ? undefined : gone.signal);
        } catch {
          return drop(); // the server or the client went away: so does this connection
        }
        if (fault === "after error") return answerError("after");
        // A HEAD or a 204 has no body to cut short: losing the answer is the fault left to it.
        const bodyless = request.method === "HEAD" || upstream.status === 204 || upstream.status === 304;
        if (fault === "after drop" || (fault === "after truncated" && bodyless)) {
          count(service, "after drop");
          return drop();
        }
        if (fault === "after truncated") {
          count(service, "after truncated");
          // The full length announced, part of the body sent, then the connection gone.
          const sent = Math.floor(upstream.body.length / 2);
          res.writeHead(upstream.status, { ...upstream.headers, "content-length": Math.max(1, upstream.body.length) });
          res.write(upstream.body.subarray(0, sent), () => req.socket.destroy());
          return;
        }
        // A HEAD's Content-Length is the object's, not that of the (empty) body.
        const length = bodyless ? {} : { "content-length": upstream.body.length };
        res.writeHead(upstream.status, { ...upstream.headers, ...length });
        res.end(upstream.body);
      });
      server.on("connection", (socket) => {
        sockets.add(socket);
        socket.on("close", () => sockets.delete(socket));
      });
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(0, HOST, () => {
          server.off("error", reject);
          resolve();
        });
      });
      servers.push({ server, sockets });
      endpoints[service] = `http://${HOST}:${(server.address() as AddressInfo).port}`;
    }
  } catch (err) {
    await Promise.all(servers.map(({ server }) => new Promise((resolve) => server.close(resolve))));
    agent.destroy();
    throw err;
  }

  return {
    endpoints,
    get share() {
      return state.share;
    },
    set share(value: number) {
      state.share = value;
    },
    counts: () => structuredClone(counts),
    requests: () => ({ ...requests }),
    total: () => SERVICES.reduce((sum, s) => sum + Object.values(counts[s]).reduce((a, b) => a + b, 0), 0),
    setInterceptor(next) {
      interceptor = next;
    },
    async stop() {
      await Promise.all(
        servers.map(
          ({ server, sockets }) =>
            new Promise<void>((resolve) => {
              server.close(() => resolve());
              for (const socket of sockets) socket.destroy();
            }),
        ),
      );
      agent.destroy();
    },
  };
}
