// Apache .htaccess files, read as Apache 2.4 reads them, into the few directives that have a faithful
// equivalent on S3 + CloudFront; everything else is reported with its line, never dropped silently.
//
//  directive                                   | becomes                                    | how
//  --------------------------------------------+--------------------------------------------+-------------------------
//  Redirect [status] URL-path [URL]            | { kind: "redirect" } (prefix match)        | edge (KeyValueStore)
//  RedirectPermanent / RedirectTemp            | the same, status 301 / 302                 | edge (KeyValueStore)
//  RedirectMatch [status] regex [URL]          | { kind: "redirectMatch" }                  | edge (KeyValueStore)
//  ErrorDocument 404 /path | "text" | default  | { kind: "errorDocument" }                  | the site-wide error page
//  DirectoryIndex name... | disabled           | { kind: "directoryIndex" }                 | PostSync (directory page)
//  Options -Indexes / +Indexes / None / All    | { kind: "indexes" }                        | PostSync (no listing)
//  <IfModule mod_alias.c|mod_dir.c|…>          | its directives, as if the module is loaded | —
//  anything else (Rewrite*, Auth*, Require,    | unsupported, with line and reason          | reported on every run
//  handlers, headers, <Files>, <If>, …)        |                                            |
//
// Syntax (Apache's ap_cfg_getline and ap_getword_conf): a trailing backslash continues a line; "#" starts a
// comment only at the start of a line; arguments are separated by white space and may be quoted with "
// or ', with backslash escaping the quote; directive names are case-insensitive. Pure: no I/O.

export type HtaccessDirective =
  | {
      kind: "redirect";
      line: number;
      /** 301, 302, 303, any other 3xx with a target; 410 and other non-3xx without one. */
      status: number;
      /** The URL-path it matches as a prefix at a segment boundary ("/old" matches /old and /old/x). */
      from: string;
      /** An absolute URL or a path starting with "/"; absent for statuses that carry no Location. */
      to?: string;
    }
  | { kind: "redirectMatch"; line: number; status: number; pattern: string; to?: string }
  | {
      kind: "errorDocument";
      line: number;
      status: 404;
      target: { type: "path"; path: string } | { type: "text"; text: string } | { type: "default" };
    }
  | { kind: "directoryIndex"; line: number /** [] for "disabled". */; names: string[] }
  | { kind: "indexes"; line: number; enabled: boolean };

export interface HtaccessProblem {
  line: number;
  /** The directive's name as written ("RewriteRule"), or the section's ("<Files>"). */
  directive: string;
  reason: string;
}

export interface ParsedHtaccess {
  /** The directory holding the file, site-relative, no slashes at either end ("" for the site's root). */
  dir: string;
  directives: HtaccessDirective[];
  unsupported: HtaccessProblem[];
}

/** Modules whose directives this file understands; an <IfModule> naming one of them is transparent. */
const KNOWN_MODULES = new Set(["mod_alias.c", "alias_module", "mod_dir.c", "dir_module", "core.c", "core_module"]);

const STATUS_WORDS: Record<string, number> = { permanent: 301, temp: 302, seeother: 303, gone: 410 };

export function parseHtaccess(text: string, dir: string): ParsedHtaccess {
  const parsed: ParsedHtaccess = { dir: dir.replace(/^\/+|\/+$/g, ""), directives: [], unsupported: [] };
  // Open sections, innermost last: "transparent" (an <IfModule> of a module we emulate), "skip" (its
  // negation: Apache with the module loaded ignores the contents) or the section's name (not carried over).
  const sections: Array<{ name: string; mode: "transparent" | "skip" | "unsupported" }> = [];
  for (const { line, text: logical } of logicalLines(text)) {
    const trimmed = logical.trim();
    if (trimmed === "" || trimmed.startsWith("#")) continue;
    const close = /^<\/\s*([^\s>]+)\s*>$/.exec(trimmed);
    if (close) {
      const open = sections.pop();
      if (!open || open.name.toLowerCase() !== close[1]!.toLowerCase()) {
        parsed.unsupported.push({ line, directive: `</${close[1]}>`, reason: "closes a section that is not open" });
        if (open) sections.push(open);
      }
      continue;
    }
    const section = /^<\s*([^\s>]+)\s*(.*?)\s*>$/.exec(trimmed);
    if (section) {
      const name = section[1]!;
      const argument = section[2]!.replace(/^["']|["']$/g, "");
      const outer = sections.at(-1)?.mode ?? "transparent";
      let mode: "transparent" | "skip" | "unsupported" = "unsupported";
      if (outer !== "transparent") mode = outer;
      else if (name.toLowerCase() === "ifmodule") {
        const negated = argument.startsWith("!");
        const known = KNOWN_MODULES.has(argument.replace(/^!/, "").toLowerCase());
        if (known) mode = negated ? "skip" : "transparent";
      }
      if (mode === "unsupported" && outer === "transparent") {
        parsed.unsupported.push({
          line,
          directive: `<${name}>`,
          reason:
            `a <${name} ${argument}> section is conditional on what sitesync cannot evaluate; ` +
            "its directives are not carried over",
        });
      }
      sections.push({ name, mode });
      continue;
    }
    const words = splitWords(trimmed);
    const name = words[0]!.value;
    const args = words.slice(1);
    const mode = sections.at(-1)?.mode ?? "transparent";
    if (mode === "skip") {
      parsed.unsupported.push({
        line,
        directive: name,
        reason: "inside an <IfModule !…> section for a module a static host has: Apache would ignore it too",
      });
      continue;
    }
    if (mode === "unsupported") {
      parsed.unsupported.push({ line, directive: name, reason: "inside a conditional section (reported above)" });
      continue;
    }
    const outcome = directive(name, args, line);
    if (typeof outcome === "string") parsed.unsupported.push({ line, directive: name, reason: outcome });
    else if (Array.isArray(outcome)) parsed.directives.push(...outcome);
    else {
      parsed.directives.push(...outcome.directives);
      parsed.unsupported.push({ line, directive: name, reason: outcome.problem });
    }
  }
  for (const open of sections) {
    parsed.unsupported.push({ line: 0, directive: `<${open.name}>`, reason: "section never closed" });
  }
  return parsed;
}

interface Word {
  value: string;
  quoted: boolean;
}

/** Lines with backslash continuations joined, each numbered by the physical line it starts on. */
function logicalLines(text: string): Array<{ line: number; text: string }> {
  const physical = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  const out: Array<{ line: number; text: string }> = [];
  for (let i = 0; i < physical.length; i++) {
    const start = i;
    let joined = physical[i]!;
    while (/\\\s*$/.test(joined) && i + 1 < physical.length) {
      joined = `${joined.replace(/\\\s*$/, "")} ${physical[++i]}`;
    }
    out.push({ line: start + 1, text: joined });
  }
  return out;
}

/** ap_getword_conf: white-space separated words; "…" and '…' group, with \" or \' escaping the quote. */
function splitWords(line: string): Word[] {
  const words: Word[] = [];
  let i = 0;
  while (i < line.length) {
    while (i < line.length && /\s/.test(line[i]!)) i++;
    if (i >= line.length) break;
    const quote = line[i];
    if (quote === '"' || quote === "'") {
      let value = "";
      i++;
      while (i < line.length && line[i] !== quote) {
        if (line[i] === "\\" && line[i + 1] === quote) i++;
        value += line[i++];
      }
      i++;
      words.push({ value, quoted: true });
    } else {
      let value = "";
      while (i < line.length && !/\s/.test(line[i]!)) value += line[i++];
      words.push({ value, quoted: false });
    }
  }
  return words;
}

type Outcome = HtaccessDirective[] | string | { directives: HtaccessDirective[]; problem: string };

/** The directives one line becomes, or why it is not carried over (or both, for a part of it). */
function directive(name: string, args: Word[], line: number): Outcome {
  const lower = name.toLowerCase();
  switch (lower) {
    case "redirect":
    case "redirectpermanent":
    case "redirecttemp":
    case "redirectmatch":
      return redirect(lower, args, line);
    case "errordocument":
      return errorDocument(args, line);
    case "directoryindex": {
      const names = args.map((a) => a.value);
      if (names.length === 0) return "DirectoryIndex needs at least one name";
      if (names.length === 1 && names[0]!.toLowerCase() === "disabled")
        return [{ kind: "directoryIndex", line, names: [] }];
      const local = names.find((n) => n.includes("/"));
      if (local !== undefined) {
        return `DirectoryIndex ${local} names a URL, not a file of the directory; only file names are carried over`;
      }
      return [{ kind: "directoryIndex", line, names }];
    }
    case "options":
      return options(args, line);
  }
  return unsupportedReason(lower);
}

function redirect(lower: string, args: Word[], line: number): HtaccessDirective[] | string {
  const rest = args.map((a) => a.value);
  let status = lower === "redirectpermanent" ? 301 : 302;
  if (lower === "redirect" || lower === "redirectmatch") {
    const first = rest[0]?.toLowerCase();
    if (first !== undefined && first in STATUS_WORDS) {
      status = STATUS_WORDS[first]!;
      rest.shift();
    } else if (first !== undefined && /^\d{3}$/.test(first)) {
      status = Number(first);
      rest.shift();
    }
  }
  const [from, to, extra] = rest;
  if (from === undefined) return "needs a URL-path to match";
  if (extra !== undefined) return "has more arguments than [status] URL-path URL";
  const needsTarget = status >= 300 && status <= 399;
  if (needsTarget && to === undefined) return `status ${status} redirects, so it needs a target URL`;
  if (!needsTarget && to !== undefined) return `status ${status} is not a redirect, so it takes no target URL`;
  if (status < 300 || status > 599) return `status ${status} is not a redirect or an error status`;
  if (to !== undefined && !/^[a-z][a-z0-9+.-]*:\/\//i.test(to) && !to.startsWith("/")) {
    return `the target ${to} must be an absolute URL (https://…) or a path starting with /`;
  }
  const target = to === undefined ? {} : { to };
  if (lower === "redirectmatch") {
    const problem = regexProblem(from);
    if (problem) return `the regular expression ${from} ${problem}`;
    return [{ kind: "redirectMatch", line, status, pattern: from, ...target }];
  }
  if (!from.startsWith("/")) return `the URL-path ${from} must start with /`;
  return [{ kind: "redirect", line, status, from, ...target }];
}

/**
 * Why a PCRE pattern cannot run the same way at the edge, or undefined. The CloudFront Functions runtime's
 * regular expressions are "Perl compatible" (JavaScript runtime 2.0 features, "Regular expressions":
 * https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/functions-javascript-runtime-20.html);
 * the local runtime is V8's. Constructs the two read differently, or only one knows, are refused.
 */
export function regexProblem(pattern: string): string | undefined {
  if (/\(\?[a-zA-Z-]+[:)]/.test(pattern)) return "uses inline flags ((?i) …), which JavaScript does not have";
  if (/\\[AZzGQE]/.test(pattern)) return "uses a PCRE-only escape (\\A, \\Z, \\z, \\G, \\Q…\\E)";
  if (/[*+?}]\+/.test(pattern.replace(/\\./g, ""))) return "uses a possessive quantifier (*+, ++, ?+)";
  if (pattern.includes("(?P<")) return "uses a Python-style named group (?P<…>)";
  if (/\[:[a-z]+:\]/.test(pattern)) return "uses a POSIX class ([[:alpha:]]) JavaScript does not have";
  try {
    new RegExp(pattern);
  } catch (err) {
    return `is not a valid regular expression here: ${(err as Error).message}`;
  }
  return undefined;
}

function errorDocument(args: Word[], line: number): HtaccessDirective[] | string {
  const [code, first, ...more] = args;
  if (code === undefined || first === undefined) return "needs a status code and a document";
  if (code.value !== "404") {
    return `ErrorDocument ${code.value} is not carried over: the site's error page serves missing keys (404) only`;
  }
  if (!first.quoted && more.length === 0 && first.value.toLowerCase() === "default") {
    return [{ kind: "errorDocument", line, status: 404, target: { type: "default" } }];
  }
  if (!first.quoted && first.value.startsWith("/") && more.length === 0) {
    return [{ kind: "errorDocument", line, status: 404, target: { type: "path", path: first.value } }];
  }
  if (!first.quoted && first.value.includes("://")) {
    return (
      "ErrorDocument 404 with a URL makes Apache redirect to another site; CloudFront cannot redirect " +
      "a missing page (its functions never see an origin's 404), so it is not carried over"
    );
  }
  const message = [first, ...more].map((w) => w.value).join(" ");
  return [{ kind: "errorDocument", line, status: 404, target: { type: "text", text: message } }];
}

function options(args: Word[], line: number): Outcome {
  if (args.length === 0) return "Options needs at least one option";
  const values = args.map((a) => a.value);
  const signed = values.filter((v) => v.startsWith("+") || v.startsWith("-"));
  if (signed.length > 0 && signed.length !== values.length) {
    return "mixes options with and without +/-, which Apache 2.4 refuses";
  }
  const out: HtaccessDirective[] = [];
  const ignored: string[] = [];
  if (signed.length === 0) {
    // A list without +/- sets exactly those options: Indexes is on only if it is named (or All).
    const named = values.map((v) => v.toLowerCase());
    out.push({ kind: "indexes", line, enabled: named.includes("indexes") || named.includes("all") });
    ignored.push(...values.filter((v) => !["indexes", "all", "none"].includes(v.toLowerCase())));
  } else {
    for (const value of values) {
      if (value.slice(1).toLowerCase() === "indexes") out.push({ kind: "indexes", line, enabled: value[0] === "+" });
      else ignored.push(value);
    }
  }
  if (ignored.length === 0) return out;
  const problem = `Options ${ignored.join(" ")} has no equivalent on a static bucket (only Indexes is carried over)`;
  return out.length === 0 ? problem : { directives: out, problem };
}

function unsupportedReason(lower: string): string {
  if (lower.startsWith("rewrite"))
    return "mod_rewrite is not carried over: rewrite rules and conditions have no faithful equivalent at the edge";
  if (lower.startsWith("auth") || ["require", "order", "allow", "deny", "satisfy"].includes(lower)) {
    return "access control is not carried over: everything published is public";
  }
  if (["addhandler", "sethandler", "action", "removehandler", "addoutputfilter", "setoutputfilter"].includes(lower)) {
    return "handlers and filters run programs on a web server; a bucket only serves files";
  }
  if (["addtype", "forcetype", "adddefaultcharset", "addcharset", "addencoding", "defaulttype"].includes(lower)) {
    return "content types come from sitesync's MIME table (the agent's contentTypes setting), not from .htaccess";
  }
  if (lower.startsWith("header") || lower.startsWith("expires") || lower === "filesmatch") {
    return "response headers are not carried over (Cache-Control comes from the deployment's publish rules)";
  }
  if (lower.startsWith("php_")) return "PHP settings have no meaning for a static site";
  return "has no equivalent in sitesync's publishing; not carried over";
}
