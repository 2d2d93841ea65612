/**
 * Exact accounting: every operation the workloads start goes through `track`, which times it and
 * keeps it pending until it settles; a watchdog counts anything pending past the bound as hung.
 * Workloads record losses, duplicates, violations and wrong results here, with a description.
 */
import { FAULT_KINDS, type FaultKind, type OpFigures, type SoakReport } from './report.js';

interface Pending {
  kind: string;
  started: number;
  detail: string;
  hung: boolean;
}

type Failure = 'lost' | 'duplicated' | 'violations' | 'wrong';

/** Outcome classes a workload gives a settled operation. */
export type Outcome = 'ok' | 'expectedError';

const MAX_DESCRIBED = 20;

export class Ledger {
  readonly ops = new Map<string, OpFigures>();
  readonly faults = Object.fromEntries(FAULT_KINDS.map((kind) => [kind, 0])) as Record<FaultKind, number>;
  readonly counts: Record<Failure, number> = { lost: 0, duplicated: 0, violations: 0, wrong: 0 };
  inHandOfKilled = 0;
  hung = 0;
  readonly failures: string[] = [];
  readonly #pending = new Map<number, Pending>();
  #next = 0;
  slowest = { kind: '-', ms: 0 };

  constructor(readonly hungAfterMs: number) {}

  /**
   * Times `promise` as an operation of `kind`. `classify` maps a rejection to 'expectedError'
   * (the contract's error for the fault around it) or returns a description of what is wrong.
   * Anything still pending after the bound is hung, lifetime joins included.
   */
  async track<T>(kind: string, promise: Promise<T>, classify: (error: unknown) => Outcome | string, detail = '', lifetime = false): Promise<{ value?: T; error?: unknown }> {
    const id = this.#next++;
    const started = performance.now();
    this.#pending.set(id, { kind, started, detail, hung: false });
    try {
      const value = await promise;
      this.#settled(id, kind, 'ok', started, lifetime);
      return { value };
    } catch (error) {
      const outcome = classify(error);
      if (outcome === 'ok' || outcome === 'expectedError') this.#settled(id, kind, outcome, started, lifetime);
      else {
        this.#settled(id, kind, 'expectedError', started, lifetime);
        this.fail('wrong', `${kind}${detail ? ` (${detail})` : ''}: ${outcome}: ${describe(error)}`);
      }
      return { error };
    }
  }

  /** Counts an operation that settled synchronously (a send, a put that returned). */
  count(kind: string, outcome: Outcome = 'ok', n = 1): void {
    this.#figures(kind)[outcome] += n;
  }

  fault(kind: FaultKind): void {
    this.faults[kind]++;
  }

  fail(what: Failure, description: string, n = 1): void {
    this.counts[what] += n;
    if (this.failures.length < MAX_DESCRIBED) this.failures.push(`${what}: ${description}`);
  }

  /** Marks every operation pending longer than the bound as hung (once each). */
  watch(now = performance.now()): void {
    for (const op of this.#pending.values()) {
      if (op.hung || now - op.started < this.hungAfterMs) continue;
      op.hung = true;
      this.hung++;
      if (this.failures.length < MAX_DESCRIBED) this.failures.push(`hung: ${op.kind}${op.detail ? ` (${op.detail})` : ''} unsettled after ${this.hungAfterMs} ms`);
    }
  }

  get pending(): number {
    return this.#pending.size;
  }

  totalOps(): number {
    let n = 0;
    for (const f of this.ops.values()) n += f.ok + f.expectedError;
    return n;
  }

  totalFaults(): number {
    return Object.values(this.faults).reduce((a, b) => a + b, 0);
  }

  failureCount(): number {
    return this.counts.lost + this.counts.duplicated + this.counts.violations + this.counts.wrong + this.hung;
  }

  report(base: Pick<SoakReport, 'seed' | 'seconds' | 'elapsedMs' | 'treeFull'>): SoakReport {
    return {
      ...base,
      ops: Object.fromEntries([...this.ops].sort(([a], [b]) => a.localeCompare(b))),
      faults: { ...this.faults },
      lost: this.counts.lost,
      duplicated: this.counts.duplicated,
      hung: this.hung,
      violations: this.counts.violations,
      wrong: this.counts.wrong,
      inHandOfKilled: this.inHandOfKilled,
      brokenLogLines: 0,
      logLines: 0,
      slowest: this.slowest,
      failures: [...this.failures],
    };
  }

  #figures(kind: string): OpFigures {
    let figures = this.ops.get(kind);
    if (!figures) this.ops.set(kind, (figures = { ok: 0, expectedError: 0, maxMs: 0 }));
    return figures;
  }

  /** `lifetime`: a join that lasts as long as its process works, not a wait (left out of `slowest`). */
  #settled(id: number, kind: string, outcome: Outcome, started: number, lifetime = false): void {
    this.#pending.delete(id);
    const ms = performance.now() - started;
    const figures = this.#figures(kind);
    figures[outcome]++;
    if (ms > figures.maxMs) figures.maxMs = ms;
    if (!lifetime && ms > this.slowest.ms) this.slowest = { kind, ms };
  }
}

/** `Name: message` of anything thrown. */
export function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
