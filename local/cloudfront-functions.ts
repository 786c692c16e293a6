// The CloudFront Functions runtime (cloudfront-js-2.0), emulated for the local server and the tests: the
// deployed function files run here as CloudFront runs them, and what CloudFront would refuse is refused.
// Sources, each rule below names the one it comes from:
//  [features] JavaScript runtime 2.0 features: ES 5.1 plus const, let, async/await, template literals,
//     arrow functions and rest parameters; no dynamic code evaluation (eval and the Function constructor
//     throw), no timers, no process, no fs, console.log with one argument only, `require('crypto')` and
//     `require('querystring')`, `import cf from 'cloudfront'` for the key value store helpers.
//     https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/functions-javascript-runtime-20.html
//  [quotas] a function's code is at most 10 KB.
//     https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html
//  [event] the event object: version, context, viewer, request {method, uri, querystring, headers,
//     cookies}, response {statusCode, statusDescription, headers, cookies}; header names lowercase, each
//     value {value} with multiValue for repeats.
//     https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/functions-event-structure.html
//  [restrictions] viewer-response functions run only when the origin answered below 400; they may not
//     change the read-only headers (Content-Encoding, Content-Length, Transfer-Encoding, Warning, Via).
//     https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/edge-function-restrictions-all.html
//  [kvs] cf.kvs() is the handle of the function's one associated key value store; get(key) rejects when the
//     key is absent. https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/functions-custom-methods.html
// Syntax the runtime lacks is found by a scan of the code with comments and literals blanked: deliberately
// conservative (it refuses, never guesses), since a function CloudFront refuses at publish time is a failed
// deployment.
import { Buffer } from "node:buffer";
import { createHash, createHmac } from "node:crypto";
import querystring from "node:querystring";
import vm from "node:vm";

export const FUNCTION_CODE_MAX_BYTES = 10 * 1024;
const READ_ONLY_RESPONSE_HEADERS = ["content-encoding", "content-length", "transfer-encoding", "warning", "via"];
/** How long a function may run before it is stopped here (CloudFront stops it far sooner: compute utilization). */
const TIME_LIMIT_MS = 1000;

/** CloudFront would not publish this code (FunctionSizeLimitExceeded, or InvalidArgument at test time). */
export class FunctionRefusedError extends Error {
  override readonly name = "FunctionRefusedError";
}

/** The function threw or returned what CloudFront cannot use: the viewer gets 502/503, as from CloudFront. */
export class FunctionExecutionError extends Error {
  override readonly name = "FunctionExecutionError";
  readonly status: 502 | 503;
  constructor(message: string, status: 502 | 503) {
    super(message);
    this.status = status;
  }
}

export type FunctionEventType = "viewer-request" | "viewer-response";

export interface HeaderValue {
  value: string;
  multiValue?: Array<{ value: string }>;
}
export type Headers = Record<string, HeaderValue>;

export interface FunctionRequest {
  method: string;
  uri: string;
  querystring: Record<string, HeaderValue>;
  headers: Headers;
  cookies: Record<string, HeaderValue>;
}

export interface FunctionResponse {
  statusCode: number;
  statusDescription?: string;
  headers?: Headers;
  cookies?: Record<string, unknown>;
  body?: string | { encoding: "text" | "base64"; data: string };
}

export interface FunctionEvent {
  version: "1.0";
  context: { distributionDomainName: string; distributionId: string; eventType: FunctionEventType; requestId: string };
  viewer: { ip: string };
  request: FunctionRequest;
  response?: FunctionResponse;
}

/** What a key value store holds, as the function reads it. */
export interface KeyValueStoreReader {
  get(key: string): Promise<string | undefined>;
}

export interface CloudFrontFunction {
  name: string;
  eventType: FunctionEventType;
  /** The request to send on, or the response to send back (viewer-request); the response (viewer-response). */
  run(event: FunctionEvent): Promise<FunctionRequest | FunctionResponse>;
}

const UNSUPPORTED_SYNTAX: Array<[RegExp, string]> = [
  [/\bclass\s+[A-Za-z_$]/, "classes"],
  [/\bfor\s*\([^;()]*\bof\b/, "for…of loops"],
  [/\?\.(?!\d)/, "optional chaining (?.)"],
  [/\?\?/, "nullish coalescing (??)"],
  [/\bcatch\s*\{/, "catch without a binding"],
  [/\bfunction\s*\*|\byield\b/, "generators"],
  [/\b(?:var|let|const)\s*[[{]/, "destructuring"],
  [/\bimport\s*\(/, "dynamic import"],
  [/\bexport\b/, "export (the handler is found by name)"],
  [/\basync\s*\(|\basync\s+[A-Za-z_$][\w$]*\s*=>/, "async arrow functions (async closures are not supported)"],
  [/\bfunction\b[^(]*\([^)]*=/, "default parameters"],
];

/** Loads `code` as CloudFront would publish it; FunctionRefusedError names the rule it breaks. */
export function loadCloudFrontFunction(
  code: string,
  options: { name: string; eventType: FunctionEventType; kvs?: KeyValueStoreReader },
): CloudFrontFunction {
  const size = Buffer.byteLength(code, "utf8");
  if (size > FUNCTION_CODE_MAX_BYTES) {
    throw new FunctionRefusedError(
      `${options.name}: FunctionSizeLimitExceeded: ${size} bytes of code, at most ${FUNCTION_CODE_MAX_BYTES} [quotas]`,
    );
  }
  const blanked = blankLiterals(code);
  for (const [pattern, what] of UNSUPPORTED_SYNTAX) {
    const found = pattern.exec(blanked);
    if (found) {
      const line = blanked.slice(0, found.index).split("\n").length;
      throw new FunctionRefusedError(
        `${options.name}:${line}: the cloudfront-js-2.0 runtime has no ${what} [features]`,
      );
    }
  }
  // `...` is allowed only as a rest parameter, the last in a parameter list.
  for (const spread of blanked.matchAll(/\.\.\./g)) {
    const after = blanked.slice(spread.index + 3);
    if (!/^\s*[A-Za-z_$][\w$]*\s*\)\s*(?:=>|\{)/.test(after)) {
      const line = blanked.slice(0, spread.index).split("\n").length;
      throw new FunctionRefusedError(`${options.name}:${line}: the cloudfront-js-2.0 runtime has no spread syntax`);
    }
  }
  const imports: string[] = [];
  const source = code.replace(
    /^\s*import\s+([A-Za-z_$][\w$]*)\s+from\s+["']([^"']+)["'];?/gm,
    (_all, binding: string, module: string) => {
      if (module !== "cloudfront" && module !== "crypto") {
        throw new FunctionRefusedError(`${options.name}: cannot import "${module}": no such module [features]`);
      }
      imports.push(module);
      return `var ${binding} = __modules[${JSON.stringify(module)}];`;
    },
  );
  if (/\bimport\b/.test(blankLiterals(source))) {
    throw new FunctionRefusedError(`${options.name}: only "import name from 'cloudfront'" imports are supported`);
  }
  const context = runtimeContext(options);
  try {
    new vm.Script(source, { filename: `${options.name}.js` }).runInContext(context, { timeout: TIME_LIMIT_MS });
  } catch (err) {
    throw new FunctionRefusedError(`${options.name}: ${(err as Error).message}`);
  }
  const handler = (context as { handler?: unknown }).handler;
  if (typeof handler !== "function") throw new FunctionRefusedError(`${options.name}: no function named handler`);
  return {
    name: options.name,
    eventType: options.eventType,
    async run(event) {
      if (event.context.eventType !== options.eventType) {
        throw new Error(`${options.name} is a ${options.eventType} function, not ${event.context.eventType}`);
      }
      // The event is built inside the function's realm, so its objects have that realm's prototypes.
      const inner = (vm.runInContext("JSON", context) as JSON).parse(JSON.stringify(event));
      let out: unknown;
      try {
        out = await withTimeout(Promise.resolve((handler as (e: unknown) => unknown)(inner)), options.name);
      } catch (err) {
        throw new FunctionExecutionError(`${options.name} threw: ${(err as Error)?.message ?? String(err)}`, 503);
      }
      const copy = JSON.parse(JSON.stringify(out ?? null)) as unknown;
      return options.eventType === "viewer-request"
        ? checkRequestResult(copy, event.request, options.name)
        : checkResponse(copy, event.response!, options.name);
    },
  };
}

function runtimeContext(options: { name: string; kvs?: KeyValueStoreReader }): vm.Context {
  const log = (...args: unknown[]) => {
    if (args.length !== 1) throw new TypeError("console.log takes one argument in CloudFront Functions [features]");
    console.log(`[${options.name}] ${String(args[0])}`);
  };
  const cloudfront = {
    kvs: (_id?: string) => {
      const store = options.kvs;
      if (!store) throw new Error("no key value store is associated with this function");
      return {
        async get(key: string, opts?: { format?: "string" | "json" | "bytes" }) {
          const value = await store.get(key);
          if (value === undefined) throw new Error(`Key ${key} not found`);
          return opts?.format === "json" ? JSON.parse(value) : value;
        },
        async exists(key: string) {
          return (await store.get(key)) !== undefined;
        },
      };
    },
  };
  const crypto = { createHash, createHmac };
  const modules: Record<string, unknown> = { cloudfront, crypto, querystring, buffer: { Buffer } };
  const sandbox: Record<string, unknown> = {
    console: { log },
    atob,
    btoa,
    TextEncoder,
    TextDecoder,
    Buffer,
    __modules: modules,
    require: (name: string) => {
      if (name === "crypto" || name === "querystring" || name === "buffer") return modules[name];
      throw new Error(`Cannot find module "${name}" [features]`);
    },
  };
  const context = vm.createContext(sandbox, { codeGeneration: { strings: false, wasm: false } });
  // Globals V8 has and the runtime does not list [features]; a function using them fails there too.
  vm.runInContext(
    "for (const name of ['Map','Set','WeakMap','WeakSet','WeakRef','FinalizationRegistry','Proxy','Reflect'," +
      "'Intl','SharedArrayBuffer','Atomics','WebAssembly','BigInt','BigInt64Array','BigUint64Array'," +
      "'structuredClone','queueMicrotask','setTimeout','setInterval','setImmediate','clearTimeout']) delete " +
      "globalThis[name]; delete Array.from; delete Object.fromEntries;",
    context,
  );
  return context;
}

async function withTimeout<T>(promise: Promise<T>, name: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${name} ran longer than ${TIME_LIMIT_MS} ms`)), TIME_LIMIT_MS);
  });
  try {
    return await Promise.race([promise, limit]);
  } finally {
    clearTimeout(timer);
  }
}

function fail(name: string, why: string): never {
  throw new FunctionExecutionError(`${name} returned ${why} (FunctionValidationError)`, 502);
}

function checkRequestResult(out: unknown, request: FunctionRequest, name: string): FunctionRequest | FunctionResponse {
  if (typeof out !== "object" || out === null) fail(name, "neither a request nor a response");
  if ("statusCode" in out) return checkResponse(out, undefined, name);
  const r = out as FunctionRequest;
  if (typeof r.uri !== "string" || !r.uri.startsWith("/")) fail(name, `a request whose uri is not a path: ${r.uri}`);
  if (r.method !== request.method) fail(name, "a request with a changed method [event]");
  checkHeaders(r.headers ?? {}, name);
  return r;
}

function checkResponse(out: unknown, before: FunctionResponse | undefined, name: string): FunctionResponse {
  if (typeof out !== "object" || out === null || !("statusCode" in out)) fail(name, "no response");
  const r = out as FunctionResponse;
  if (!Number.isInteger(r.statusCode) || r.statusCode < 200 || r.statusCode > 599) {
    fail(name, `status ${r.statusCode}, outside 200–599`);
  }
  checkHeaders(r.headers ?? {}, name);
  if (before) {
    for (const header of READ_ONLY_RESPONSE_HEADERS) {
      if (before.headers?.[header]?.value !== r.headers?.[header]?.value) {
        fail(name, `a changed read-only header ${header} [restrictions]`);
      }
    }
    if (r.body !== undefined) fail(name, "a body in a viewer response (the origin's body is sent as it is)");
  }
  return r;
}

function checkHeaders(headers: Headers, name: string): void {
  for (const [key, value] of Object.entries(headers)) {
    if (key !== key.toLowerCase()) fail(name, `a header name that is not lower case: ${key} [event]`);
    if (typeof value?.value !== "string") fail(name, `header ${key} without a string value [event]`);
  }
}

/**
 * The code with comments blanked and the contents of string, template and regular expression literals
 * replaced by spaces (line breaks kept), so the syntax scan sees only code.
 */
export function blankLiterals(code: string): string {
  let out = "";
  let i = 0;
  let last = ""; // the last significant character of code, to tell a regular expression from a division
  const blank = (text: string) => text.replace(/[^\n]/g, " ");
  while (i < code.length) {
    const c = code[i]!;
    const next = code[i + 1];
    if (c === "/" && next === "/") {
      const end = code.indexOf("\n", i);
      const stop = end === -1 ? code.length : end;
      out += blank(code.slice(i, stop));
      i = stop;
    } else if (c === "/" && next === "*") {
      const end = code.indexOf("*/", i + 2);
      const stop = end === -1 ? code.length : end + 2;
      out += blank(code.slice(i, stop));
      i = stop;
    } else if (c === '"' || c === "'" || c === "`") {
      let j = i + 1;
      while (j < code.length && code[j] !== c) j += code[j] === "\\" ? 2 : 1;
      out += c + blank(code.slice(i + 1, j)) + c;
      i = j + 1;
      last = c;
    } else if (c === "/" && (last === "" || "(,=:[!&|?{};+-*%<>~^".includes(last) || /\breturn\s*$/.test(out))) {
      let j = i + 1;
      let inClass = false;
      while (j < code.length && (code[j] !== "/" || inClass) && code[j] !== "\n") {
        if (code[j] === "\\") j++;
        else if (code[j] === "[") inClass = true;
        else if (code[j] === "]") inClass = false;
        j++;
      }
      out += `/${blank(code.slice(i + 1, j))}/`;
      i = j + 1;
      last = "/";
    } else {
      out += c;
      if (!/\s/.test(c)) last = c;
      i++;
    }
  }
  return out;
}
