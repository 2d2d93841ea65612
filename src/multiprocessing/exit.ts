/**
 * Python's `sys.exit` inside a process: `exit(code)` throws SystemExit, so finally blocks run; the
 * runner turns it into the exit code (an integer or boolean is the code, null or nothing gives 0,
 * anything else is printed to stderr and gives 1). In a shared host it ends only the calling
 * actor, through the kernel's exit-request protocol.
 */
import { EXIT_REASON, registerErrorClass, TroupeError } from '../errors.js';
import type { ExitReason } from '../types.js';

/** sys.exit's rule: integers and booleans are the code, null/undefined is 0, anything else is 1. */
export function exitCodeOf(code: unknown): number {
  if (code === null || code === undefined) return 0;
  if (typeof code === 'boolean') return code ? 1 : 0;
  if (typeof code === 'number' && Number.isInteger(code)) return code;
  return 1;
}

/** Python's SystemExit: thrown by `exit(code)` so that finally blocks run, like sys.exit. */
export class SystemExit extends TroupeError {
  readonly code: unknown;
  constructor(code: unknown) {
    super(`exit(${String(code)})`);
    this.code = code;
  }

  /** In an actor's handler it ends that actor: normal for 0, error otherwise. */
  get [EXIT_REASON](): ExitReason {
    const code = exitCodeOf(this.code);
    return code === 0 ? { kind: 'normal' } : { kind: 'error', error: this, detail: { exitcode: code } };
  }
}
registerErrorClass(SystemExit);

/** Is `error` a SystemExit (of any copy of troupe)? */
export function isSystemExit(error: unknown): error is SystemExit {
  return error instanceof SystemExit || (error as Error | undefined)?.name === 'SystemExit';
}

/**
 * Like sys.exit: an integer or boolean is the exit code, null/undefined gives 0, anything else is
 * printed to stderr and gives 1. Throws SystemExit, so finally blocks still run.
 */
export function exit(code?: unknown): never {
  throw new SystemExit(code);
}
