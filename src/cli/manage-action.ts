import type { ManagementApi } from './manage-api.js';
import type { FlagType, ParsedArgs } from './manage-args.js';
import type { Output } from './manage-output.js';

/** What an action may use besides the API (injected for tests). */
export interface ActionContext {
  readonly cwd: string;
  readonly readFile: (path: string) => Promise<string>;
}

/**
 * One `devgate <resource> <action>`: `prepare` checks the command line (usage errors before any
 * connection is made), `run` calls the API.
 */
export interface Action {
  /** e.g. `create --name <name> [--parent <id>]` */
  readonly usage: string;
  readonly summary: string;
  readonly flags?: Readonly<Record<string, FlagType>>;
  prepare(args: ParsedArgs, context: ActionContext): Promise<unknown> | unknown;
  run(api: ManagementApi, prepared: unknown): Promise<Output>;
}

/** Builds an Action whose `prepare` result type flows into `run`. */
export function defineAction<P>(action: {
  readonly usage: string;
  readonly summary: string;
  readonly flags?: Readonly<Record<string, FlagType>>;
  prepare(args: ParsedArgs, context: ActionContext): Promise<P> | P;
  run(api: ManagementApi, prepared: P): Promise<Output>;
}): Action {
  return action as Action;
}

/** The actions of one resource (`org`, `device`, …). */
export interface Resource {
  readonly name: string;
  readonly description: string;
  readonly actions: Readonly<Record<string, Action>>;
}
