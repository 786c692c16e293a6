// Which names starting with a dot are published. The old host was Apache serving the FTP tree, which served
// dot files like any other but refused `.ht*` (its default configuration: <Files ".ht*"> Require all denied);
// a site's tree also holds what was never meant for visitors (.git/, .env, editor swap files). So:
//
//  name                                  | published?
//  --------------------------------------+------------------------------------------------------------------
//  .ht* (.htaccess, .htpasswd, …)        | never, whatever the configuration (the agent reads .htaccess files
//                                        |   for their rules)
//  .sitesync/ at the site's root         | never: the stack's own folder (the error page CloudFront serves)
//  any other dot file or dot folder      | only when its site path matches a `publish` glob (picomatch, dot
//                                        |   names matched); a published folder's other names are published
//  any other name                        | yes (the configuration's `exclude` globs apply to every name)
//
// A glob is matched against the dot name's own path, so "**/.well-known/**" (or "**/.well-known") publishes
// the folder, and "**/.well-known/**" also a dot name inside it; ".nojekyll" one file at the root.
import picomatch from "picomatch";
import { ERROR_PAGE_KEY } from "./edge-rules.ts";

export interface DotFilePolicy {
  /** Globs over site paths of dot files and dot folders to publish; [] publishes none. */
  publish: string[];
}

/** RFC 8615's well-known URIs (ACME, security.txt, app links): public by design, at any depth. */
export const DEFAULT_DOT_FILES: DotFilePolicy = { publish: ["**/.well-known/**"] };

/** Every dot name but those never published (the former `"dotFiles": "include"`). */
export const ALL_DOT_FILES: DotFilePolicy = { publish: ["**"] };

/** The stack's own folder (".sitesync"), never a site's. */
const STACK_FOLDER = ERROR_PAGE_KEY.slice(0, ERROR_PAGE_KEY.indexOf("/"));

/**
 * Why a name is left out of the site, if it is: "never" (.ht* files, the stack's folder) or "policy" (a dot
 * name no `publish` glob matches). `relPath` is the site-relative path of the name, `name` its last segment.
 */
export function dotFileRule(policy: DotFilePolicy): (relPath: string, name: string) => "never" | "policy" | undefined {
  const published = policy.publish.length > 0 ? picomatch(policy.publish, { dot: true }) : () => false;
  return (relPath, name) => {
    if (!name.startsWith(".")) return undefined;
    if (name.startsWith(".ht") || relPath === STACK_FOLDER) return "never";
    return published(relPath) ? undefined : "policy";
  };
}
