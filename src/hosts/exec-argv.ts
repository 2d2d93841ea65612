/**
 * Which of the parent's Node flags a host worker gets. Workers register tsx themselves only when
 * they load a .ts module (an inherited `--import tsx` makes every worker start ~2x slower), and
 * worker_threads refuses V8 and process-wide flags (`--max-old-space-size`, `--expose-gc`,
 * `--title`...) with ERR_WORKER_INVALID_EXEC_ARGV — an app started with them must still get
 * workers. Node says which flags it refuses, so the list is probed once, and the heap and stack
 * limits among the refused flags become the worker's `resourceLimits`.
 */
import { Worker, type ResourceLimits } from 'node:worker_threads';

const LOADERS = new Set(['--import', '--loader', '--experimental-loader', '--require', '-r']);
/** flags that run a script of their own in the parent (they take the next argument) */
const SCRIPT_FLAGS = new Set(['-e', '--eval', '-p', '--print']);

/** Flags workers are known to accept (no probe needed when only these are present). */
const ACCEPTED = /^--(conditions|enable-source-maps|no-warnings|no-deprecation|trace-warnings|trace-deprecation|throw-deprecation|pending-deprecation|unhandled-rejections|experimental-[\w-]+|inspect[\w-]*|import|loader|require|input-type|preserve-symlinks[\w-]*|max-http-header-size|redirect-warnings|stack-trace-limit)$|^-[CR]$/;

let cached: { argv: string[]; limits: ResourceLimits } | undefined;

/** The parent's flags minus TypeScript loaders and what it passed a script with. */
function candidates(): string[] {
  const out: string[] = [];
  const argv = process.execArgv;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const [name, inline] = flag.split('=', 2) as [string, string | undefined];
    if (LOADERS.has(name)) {
      const value = inline ?? argv[i + 1] ?? '';
      if (inline === undefined) i++;
      if (!/tsx|ts-node|vite|vitest/.test(value)) out.push(name, value);
      continue;
    }
    if (SCRIPT_FLAGS.has(name)) {
      if (inline === undefined) i++;
      continue;
    }
    out.push(flag);
  }
  return out;
}

/** The flags Node refuses for a worker, as its error lists them ("...flags: --a, --b"). */
function refused(argv: string[]): string[] {
  try {
    const probe = new Worker('', { eval: true, execArgv: argv });
    probe.unref();
    void probe.terminate();
    return [];
  } catch (error) {
    if ((error as { code?: string }).code !== 'ERR_WORKER_INVALID_EXEC_ARGV') return [];
    const listed = /flags:\s*(.*)$/.exec((error as Error).message)?.[1];
    return listed ? listed.split(/,\s*/) : argv;
  }
}

function limitsFrom(flags: string[]): ResourceLimits {
  const limits: ResourceLimits = {};
  for (const flag of flags) {
    const [name, value] = flag.replace(/_/g, '-').split('=', 2) as [string, string | undefined];
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0) continue;
    if (name === '--max-old-space-size') limits.maxOldGenerationSizeMb = n;
    else if (name === '--max-semi-space-size') limits.maxYoungGenerationSizeMb = n * 3;
    else if (name === '--stack-size') limits.stackSizeMb = Math.max(1, Math.round(n / 1024));
  }
  return limits;
}

function compute(): { argv: string[]; limits: ResourceLimits } {
  let argv = candidates();
  if (argv.every((flag) => !flag.startsWith('-') || ACCEPTED.test(flag.split('=', 1)[0]!))) return { argv, limits: {} };
  const dropped: string[] = [];
  for (let attempt = 0; attempt < 4 && argv.length > 0; attempt++) {
    const bad = refused(argv);
    if (bad.length === 0) break;
    dropped.push(...bad);
    argv = argv.filter((flag) => !bad.includes(flag));
  }
  return { argv, limits: limitsFrom(dropped) };
}

export function workerExecArgv(): string[] {
  return (cached ??= compute()).argv;
}

export function workerResourceLimits(): ResourceLimits {
  return (cached ??= compute()).limits;
}
