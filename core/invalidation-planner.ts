// The invalidation planner: from the keys a run changed to the fewest CloudFront invalidation paths that
// still leave unchanged objects cached where that matters, split into batches CloudFront accepts.
//
// Decision table:
//
//  situation                                          | decision
//  ---------------------------------------------------+------------------------------------------------
//  a directory has ≤ collapseAbove changed paths of   | keep them: unchanged neighbours stay cached
//    its own                                          |
//  a directory has > collapseAbove changed paths of   | one wildcard "/dir/*" for it and its subtree
//    its own                                          |   (one path costs what one file costs, and a
//                                                     |   refetch from S3 is nearly free)
//  the run still needs > maxPaths paths               | collapse more, deepest directories first and,
//                                                     |   at one depth, those needing most paths first,
//                                                     |   until within maxPaths: evicting a deep subtree
//                                                     |   costs fewer cached objects than a shallow one
//  even the top-level directories do not suffice      | "/*"
//
// A listing page counts twice ("/dir/" and "/dir/index.html"): browsers ask for both forms. A key with "~"
// is covered by its directory's wildcard: CloudFront refuses "~" in a path and does not match "%7E" to the
// cached object.
//
// Batches respect CloudFront's limits (InvalidationLimits in the CloudFront developer guide): at most 3,000
// paths in one request, at most 3,000 file paths and 15 wildcard paths in progress per distribution. A batch
// holds either files or wildcards, so the executor can wait for exactly the budget a batch needs.

export interface InvalidationLimits {
  /** Paths in one CreateInvalidation request. */
  maxPathsPerRequest: number;
  /** File (non-wildcard) paths in progress at once per distribution. */
  maxFilesInProgress: number;
  /** Wildcard paths in progress at once per distribution. */
  maxWildcardsInProgress: number;
}

export const CLOUDFRONT_LIMITS: InvalidationLimits = {
  maxPathsPerRequest: 3000,
  maxFilesInProgress: 3000,
  maxWildcardsInProgress: 15,
};

export interface PlannerOptions {
  /** A directory with more changed paths of its own than this is invalidated with one wildcard. */
  collapseAbove: number;
  /** Upper bound on the paths of one run; more is collapsed further (each path is billed). */
  maxPaths: number;
  limits?: InvalidationLimits;
}

export interface InvalidationBatch {
  kind: "files" | "wildcards";
  paths: string[];
}

export interface InvalidationPlan {
  paths: string[];
  batches: InvalidationBatch[];
  /** Paths before collapsing, for the record. */
  requested: number;
}

export type ChangedPath = { kind: "object"; key: string } | { kind: "listing"; dir: string };

/** A key as CloudFront sees its URL path: each segment percent-encoded, "*" too (it means wildcard). */
export function pathForKey(key: string): string {
  return `/${key.split("/").map(encodeSegment).join("/")}`;
}

function encodeSegment(segment: string): string {
  return encodeURIComponent(segment).replace(/[*!'()]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

interface Node {
  files: string[];
  children: Map<string, Node>;
  collapsed: boolean;
}

const newNode = (): Node => ({ files: [], children: new Map(), collapsed: false });

export function planInvalidations(changes: Iterable<ChangedPath>, options: PlannerOptions): InvalidationPlan {
  const limits = options.limits ?? CLOUDFRONT_LIMITS;
  const root = newNode();
  const seen = new Set<string>();
  let requested = 0;
  const dirNode = (dirSegments: string[]): Node => {
    let node = root;
    for (const segment of dirSegments) {
      let child = node.children.get(segment);
      if (!child) {
        child = newNode();
        node.children.set(segment, child);
      }
      node = child;
    }
    return node;
  };
  const add = (dirSegments: string[], path: string) => {
    if (seen.has(path)) return;
    seen.add(path);
    requested++;
    dirNode(dirSegments).files.push(path);
  };
  for (const change of changes) {
    if (change.kind === "object") {
      const segments = change.key.split("/");
      if (change.key.includes("~")) {
        requested++;
        dirNode(segments.slice(0, -1)).collapsed = true;
        continue;
      }
      add(segments.slice(0, -1), pathForKey(change.key));
    } else {
      const segments = change.dir === "" ? [] : change.dir.split("/");
      const dirPath = segments.length === 0 ? "/" : `${pathForKey(change.dir)}/`;
      add(segments, dirPath);
      add(segments, `${dirPath}index.html`);
    }
  }

  // Directories by depth, to collapse the deepest first.
  const levels: Node[][] = [];
  const walk = (node: Node, depth: number) => {
    levels[depth] ??= [];
    levels[depth].push(node);
    if (node.files.length > options.collapseAbove) node.collapsed = true;
    for (const child of node.children.values()) walk(child, depth + 1);
  };
  walk(root, 0);
  const count = (node: Node): number =>
    node.collapsed ? 1 : node.files.length + [...node.children.values()].reduce((sum, c) => sum + count(c), 0);
  let total = count(root);
  for (let depth = levels.length - 1; depth >= 0 && total > options.maxPaths; depth--) {
    const candidates = levels[depth]!.map((node) => ({ node, paths: count(node) }))
      .filter((c) => !c.node.collapsed && c.paths > 1)
      .sort((a, b) => b.paths - a.paths);
    for (const { node, paths } of candidates) {
      if (total <= options.maxPaths) break;
      node.collapsed = true;
      total -= paths - 1;
    }
  }

  const paths: string[] = [];
  const emit = (node: Node, dirSegments: string[], underCollapsed: boolean) => {
    if (underCollapsed) return;
    if (node.collapsed) {
      paths.push(dirSegments.length === 0 ? "/*" : `${pathForKey(dirSegments.join("/"))}/*`);
      return;
    }
    paths.push(...node.files);
    for (const [segment, child] of node.children) emit(child, [...dirSegments, segment], false);
  };
  emit(root, [], false);

  const wildcards = paths.filter((p) => p.endsWith("*"));
  const files = paths.filter((p) => !p.endsWith("*"));
  const batches: InvalidationBatch[] = [];
  const fileBatch = Math.min(limits.maxPathsPerRequest, limits.maxFilesInProgress);
  for (let i = 0; i < files.length; i += fileBatch)
    batches.push({ kind: "files", paths: files.slice(i, i + fileBatch) });
  const wildcardBatch = Math.min(limits.maxPathsPerRequest, limits.maxWildcardsInProgress);
  for (let i = 0; i < wildcards.length; i += wildcardBatch)
    batches.push({ kind: "wildcards", paths: wildcards.slice(i, i + wildcardBatch) });
  return { paths, batches, requested };
}
