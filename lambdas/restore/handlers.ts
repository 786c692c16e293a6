// The Restore task handlers as the state machine invokes them: parse, call the step, return.
import { BadInputError } from "../../core/errors.ts";
import { isRunId } from "../../core/run-id.ts";
import { finishRestore, planHostPage, restoreSitePage, startRestore, type PageResult, type RestoreDeps, type RestoreRequest } from "./steps.ts";

function request(event: unknown): RestoreRequest & { page: number } {
  const o = event as { restore?: RestoreRequest; page?: number };
  if (!isRunId(o?.restore?.runId) || !Number.isInteger(o.page) || typeof o.restore.prefix !== "string") {
    throw new BadInputError(`restore page input needs the restore request and a page; got ${JSON.stringify(event)?.slice(0, 300)}`);
  }
  return { ...o.restore, page: o.page! };
}

export function createRestoreHandlers(deps: RestoreDeps) {
  return {
    start: (event: unknown) => startRestore(event, deps),
    sitePage: (event: unknown) => restoreSitePage(request(event), deps),
    hostPage: (event: unknown) => planHostPage(request(event), deps),
    finish: (event: unknown) => {
      const o = event as { restore?: RestoreRequest; results?: PageResult[] };
      if (!o?.restore || !Array.isArray(o.results)) throw new BadInputError("finish needs the restore request and the page results");
      return finishRestore({ restore: o.restore, results: o.results }, deps);
    },
  };
}

export type RestoreHandlers = ReturnType<typeof createRestoreHandlers>;
