/**
 * The soak's command line: `--seconds N` (default 60), `--seed N` (default: from the clock),
 * `--hung-ms N`, `--only queue,pipe,...` (some workloads, to chase a failure), `--json`.
 */
export interface SoakOptions {
  seconds: number;
  seed: number;
  /** an operation unsettled for this long counts as hung */
  hungMs: number;
  /** print the report as one JSON line after the table (for the soak test) */
  json: boolean;
  /** the workloads to run (default: all) */
  only: string[];
}

export const WORKLOADS = ['queue', 'joinable', 'pipe', 'sync', 'pool', 'tree'] as const;

export function parseOptions(argv: readonly string[]): SoakOptions {
  const options: SoakOptions = { seconds: 60, seed: Date.now() % 1_000_000, hungMs: 30_000, json: false, only: [...WORKLOADS] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const number = (): number => {
      const value = Number(argv[++i]);
      if (!Number.isInteger(value) || value < 0) throw new Error(`${arg} needs a non-negative integer (got ${argv[i]})`);
      return value;
    };
    if (arg === '--seconds') options.seconds = number();
    else if (arg === '--seed') options.seed = number();
    else if (arg === '--hung-ms') options.hungMs = number();
    else if (arg === '--json') options.json = true;
    else if (arg === '--only') {
      options.only = (argv[++i] ?? '').split(',').filter(Boolean);
      const unknown = options.only.filter((name) => !(WORKLOADS as readonly string[]).includes(name));
      if (unknown.length || options.only.length === 0) throw new Error(`--only takes some of ${WORKLOADS.join(',')} (got ${argv[i]})`);
    }
    else throw new Error(`unknown option ${arg}; usage: npm run soak -- [--seconds 60] [--seed N] [--hung-ms 30000] [--only ${WORKLOADS.join(',')}] [--json]`);
  }
  return options;
}

export function toArgv(options: SoakOptions): string[] {
  return ['--seconds', String(options.seconds), '--seed', String(options.seed), '--hung-ms', String(options.hungMs), '--only', options.only.join(','), ...(options.json ? ['--json'] : [])];
}
