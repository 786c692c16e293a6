// The published site on 127.0.0.1, served as the deployed CloudFront distribution serves it: the
// distribution's functions and custom error responses are read from the synthesized template (what
// `cdk deploy` creates), the functions run in the cloudfront-js-2.0 emulation (cloudfront-functions.ts),
// the viewer-request function reads the local key value store PostSync writes, and objects come from the
// local S3 server. What it does per request, in CloudFront's order:
//  1. viewer-request function: a response (redirect) goes back as it is; a request goes on, maybe rewritten.
//  2. the origin: GET (or HEAD) of the key the URI names, percent-decoded as S3 decodes it.
//  3. an origin status the distribution has a custom error response for (403, 404): its page from the
//     bucket, with its response code; the viewer-response function does not run (CloudFront runs it only
//     when the origin answered below 400: edge-function-restrictions-all.html).
//  4. otherwise the viewer-response function, then the object's bytes with the headers it left.
// Not emulated: caching (every request goes to the bucket), compression, range and conditional requests.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Readable } from "node:stream";
import type { S3Client } from "@aws-sdk/client-s3";
import { serveSiteObject } from "../aws/site-bucket.ts";
import {
  type CloudFrontFunction,
  type FunctionEvent,
  FunctionExecutionError,
  type FunctionRequest,
  type FunctionResponse,
  type HeaderValue,
  type KeyValueStoreReader,
  loadCloudFrontFunction,
} from "./cloudfront-functions.ts";
import type { CfnTemplate } from "./template.ts";

export interface DistributionBehavior {
  viewerRequest?: CloudFrontFunction;
  viewerResponse?: CloudFrontFunction;
  /** Origin status → the page path and the status CloudFront answers with. */
  errorResponses: Map<number, { pagePath: string; status: number }>;
  defaultRootObject?: string;
}

type Resource = { Type: string; Properties?: Record<string, unknown> };

/** The distribution's behaviour as the template defines it, its functions loaded as CloudFront loads them. */
export function distributionFromTemplate(template: CfnTemplate, kvs?: KeyValueStoreReader): DistributionBehavior {
  const resources = template.Resources as Record<string, Resource>;
  const found = Object.values(resources).filter((r) => r.Type === "AWS::CloudFront::Distribution");
  if (found.length !== 1) throw new Error(`the template has ${found.length} distributions; expected one`);
  const config = found[0]!.Properties!.DistributionConfig as Record<string, unknown>;
  const behavior = config.DefaultCacheBehavior as { FunctionAssociations?: Array<Record<string, unknown>> };
  const out: DistributionBehavior = { errorResponses: new Map() };
  if (typeof config.DefaultRootObject === "string") out.defaultRootObject = config.DefaultRootObject;
  for (const association of behavior.FunctionAssociations ?? []) {
    const ref = (association.FunctionARN as { "Fn::GetAtt"?: [string, string] })["Fn::GetAtt"]?.[0];
    const fn = ref ? resources[ref] : undefined;
    if (fn?.Type !== "AWS::CloudFront::Function") throw new Error(`function association ${ref} not found`);
    const props = fn.Properties as { FunctionCode: unknown; FunctionConfig: Record<string, unknown> };
    if (props.FunctionConfig.Runtime !== "cloudfront-js-2.0") {
      throw new Error(`${ref} runs on ${String(props.FunctionConfig.Runtime)}; the emulation is of cloudfront-js-2.0`);
    }
    if (typeof props.FunctionCode !== "string") throw new Error(`${ref}'s code is not a plain string in the template`);
    const eventType = association.EventType as "viewer-request" | "viewer-response";
    const stores = (props.FunctionConfig.KeyValueStoreAssociations as unknown[] | undefined) ?? [];
    const loaded = loadCloudFrontFunction(props.FunctionCode, {
      name: ref!,
      eventType,
      ...(stores.length > 0 && kvs ? { kvs } : {}),
    });
    if (eventType === "viewer-request") out.viewerRequest = loaded;
    else out.viewerResponse = loaded;
  }
  for (const e of (config.CustomErrorResponses as Array<Record<string, unknown>> | undefined) ?? []) {
    out.errorResponses.set(Number(e.ErrorCode), {
      pagePath: String(e.ResponsePagePath),
      status: Number(e.ResponseCode ?? e.ErrorCode),
    });
  }
  return out;
}

export interface SiteServerOptions {
  s3: S3Client;
  bucket: string;
  distribution: DistributionBehavior;
  /** 0 picks a free port. */
  port?: number;
}

export interface SiteServer {
  url: string;
  stop(): Promise<void>;
}

const HOST = "127.0.0.1";

export async function startSiteServer(options: SiteServerOptions): Promise<SiteServer> {
  const server = createServer((req, res) => {
    serve(req, res, options).catch((err) => {
      const status = err instanceof FunctionExecutionError ? err.status : 500;
      if (!res.headersSent) {
        res.writeHead(status, { "content-type": "text/plain; charset=utf-8" });
        res.end(`${status} ${(err as Error).name}: ${(err as Error).message}\n`);
      } else res.destroy(err as Error);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, HOST, () => resolve());
  });
  const url = `http://${HOST}:${(server.address() as AddressInfo).port}`;
  return {
    url,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

let requests = 0;

async function serve(req: IncomingMessage, res: ServerResponse, options: SiteServerOptions): Promise<void> {
  const { distribution } = options;
  const method = req.method ?? "GET";
  if (method !== "GET" && method !== "HEAD") {
    // The distribution allows GET and HEAD (CloudFront's default allowed methods).
    return send(res, method, { statusCode: 403, headers: {}, body: "This distribution does not allow this method.\n" });
  }
  const raw = req.url ?? "/";
  const q = raw.indexOf("?");
  const event: FunctionEvent = {
    version: "1.0",
    context: {
      distributionDomainName: req.headers.host ?? HOST,
      distributionId: "ELOCALSITESYNC",
      eventType: "viewer-request",
      requestId: `local-${++requests}`,
    },
    viewer: { ip: req.socket.remoteAddress ?? HOST },
    request: {
      method,
      uri: q === -1 ? raw : raw.slice(0, q),
      querystring: parseQuery(q === -1 ? "" : raw.slice(q + 1)),
      headers: requestHeaders(req),
      cookies: {},
    },
  };
  let request: FunctionRequest = event.request;
  if (distribution.viewerRequest) {
    const out = await distribution.viewerRequest.run(event);
    if ("statusCode" in out) return send(res, method, out);
    request = out;
  }
  let uri = request.uri;
  if (uri === "/" && distribution.defaultRootObject) uri = `/${distribution.defaultRootObject}`;
  let key: string;
  try {
    key = decodeURIComponent(uri.slice(1));
  } catch {
    return send(res, method, { statusCode: 400, headers: {}, body: "Malformed URI\n" });
  }
  const origin = await fetchObject(options, key, method);
  if (origin.status >= 400) {
    const custom = distribution.errorResponses.get(origin.status);
    if (custom) {
      const page = await fetchObject(options, decodeURIComponent(custom.pagePath.slice(1)), method);
      if (page.status < 400) return sendObject(res, method, custom.status, page.headers, page.body);
    }
    page404Drain(origin.body);
    return send(res, method, { statusCode: origin.status, headers: {}, body: `${origin.status} from the bucket\n` });
  }
  let response: FunctionResponse = { statusCode: origin.status, statusDescription: "OK", headers: origin.headers };
  if (distribution.viewerResponse) {
    response = (await distribution.viewerResponse.run({
      ...event,
      context: { ...event.context, eventType: "viewer-response" },
      request,
      response,
    })) as FunctionResponse;
  }
  return sendObject(res, method, response.statusCode, response.headers ?? {}, origin.body);
}

interface Fetched {
  status: number;
  headers: Record<string, HeaderValue>;
  body?: Readable;
}

async function fetchObject(options: SiteServerOptions, key: string, method: string): Promise<Fetched> {
  const object = await serveSiteObject(options.s3, options.bucket, key, method === "HEAD" ? "HEAD" : "GET");
  if (object.status !== 200) return { status: object.status, headers: {} };
  const headers: Record<string, HeaderValue> = {};
  const set = (name: string, value: unknown) => {
    if (value !== undefined && value !== null) headers[name] = { value: String(value) };
  };
  set("content-type", object.contentType);
  set("content-length", object.contentLength);
  set("etag", object.etag);
  set("last-modified", object.lastModified?.toUTCString());
  set("cache-control", object.cacheControl);
  for (const [name, value] of Object.entries(object.metadata)) set(`x-amz-meta-${name.toLowerCase()}`, value);
  return { status: 200, headers, ...(object.body ? { body: object.body } : {}) };
}

function page404Drain(body: Readable | undefined): void {
  body?.resume();
}

function sendObject(
  res: ServerResponse,
  method: string,
  status: number,
  headers: Record<string, HeaderValue>,
  body: Readable | undefined,
): void {
  res.writeHead(status, flatHeaders(headers));
  if (method === "HEAD" || !body) {
    body?.resume();
    res.end();
    return;
  }
  body.pipe(res);
}

function send(res: ServerResponse, method: string, out: FunctionResponse): void {
  const headers = flatHeaders(out.headers ?? {});
  let body: Buffer | undefined;
  if (typeof out.body === "string") body = Buffer.from(out.body, "utf8");
  else if (out.body) body = Buffer.from(out.body.data, out.body.encoding === "base64" ? "base64" : "utf8");
  if (body && !headers["content-type"]) headers["content-type"] = "text/plain; charset=utf-8";
  headers["content-length"] = String(body?.length ?? 0);
  res.writeHead(out.statusCode, out.statusDescription, headers);
  res.end(method === "HEAD" ? undefined : body);
}

function flatHeaders(headers: Record<string, HeaderValue>): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, header] of Object.entries(headers)) flat[name] = header.value;
  return flat;
}

/** The query string as CloudFront hands it to a function: values as sent, repeats in multiValue. */
function parseQuery(query: string): Record<string, HeaderValue> {
  const out: Record<string, HeaderValue> = {};
  if (query === "") return out;
  for (const part of query.split("&")) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    const name = eq === -1 ? part : part.slice(0, eq);
    const value = eq === -1 ? "" : part.slice(eq + 1);
    const earlier = out[name];
    if (earlier) earlier.multiValue = [...(earlier.multiValue ?? [{ value: earlier.value }]), { value }];
    else out[name] = { value };
  }
  return out;
}

function requestHeaders(req: IncomingMessage): Record<string, HeaderValue> {
  const out: Record<string, HeaderValue> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    const values = Array.isArray(value) ? value : [value];
    out[name.toLowerCase()] = {
      value: values[0]!,
      ...(values.length > 1 ? { multiValue: values.map((v) => ({ value: v })) } : {}),
    };
  }
  return out;
}
