/**
 * What the soak runner reports to its launcher (over the IPC channel) and what the table shows:
 * operations by kind, faults by kind, and the failures that make the soak exit non-zero.
 */

/** One kind of operation: how many settled, how many with an expected error, the slowest. */
export interface OpFigures {
  ok: number;
  /** settled with the error the contract promises for the fault around it (e.g. EOFError) */
  expectedError: number;
  maxMs: number;
}

/** Every fault the chaos loop can inject; the soak test checks each one was. */
export const FAULT_KINDS = [
  'process.terminate',
  'process.kill',
  'pool.task-exit',
  'pool.task-throw',
  'pool.task-loop',
  'actor.crash',
  'actor.kill',
  'actor.host-kill',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** The kinds of fault that have victims among the workloads run (`--only`). */
export function faultKinds(only: ReadonlySet<string>): FaultKind[] {
  const processes = ['queue', 'joinable', 'pipe', 'sync'].some((name) => only.has(name));
  // the tree is always there: actor faults always have victims
  return FAULT_KINDS.filter((kind) => (kind.startsWith('process.') ? processes : kind.startsWith('pool.') ? only.has('pool') : true));
}

export interface SoakReport {
  seed: number;
  seconds: number;
  elapsedMs: number;
  ops: Record<string, OpFigures>;
  faults: Record<FaultKind, number>;
  /** items or messages that should have arrived and did not */
  lost: number;
  duplicated: number;
  /** operations unsettled after the watchdog's bound */
  hung: number;
  /** mutual exclusion broken (more holders inside a critical section than allowed) */
  violations: number;
  /** a wrong value or an error the contract does not promise */
  wrong: number;
  /** queue items taken by a consumer killed between get() and recording it (at most one each) */
  inHandOfKilled: number;
  /** log lines that did not parse as JSON (counted by the launcher) */
  brokenLogLines: number;
  logLines: number;
  /** the tree had all its children running and answering at the end */
  treeFull: boolean;
  slowest: { kind: string; ms: number };
  /** the first few failures, described */
  failures: string[];
}

/** True when the run found nothing wrong. */
export function passed(report: SoakReport): boolean {
  return (
    report.lost === 0 &&
    report.duplicated === 0 &&
    report.hung === 0 &&
    report.violations === 0 &&
    report.wrong === 0 &&
    report.brokenLogLines === 0 &&
    report.treeFull
  );
}

/** Runner → launcher messages. */
export type RunnerMessage =
  | { type: 'progress'; elapsedMs: number; ops: number; faults: number; failures: number }
  | { type: 'report'; report: SoakReport };
