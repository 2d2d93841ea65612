/**
 * Process and Pool targets: a `task(fn)` exported from a module is located by export; any other
 * function must be self-contained and travels as source. A free variable in that source would be
 * undefined in the worker, so it fails here, at start(), with ClosureError naming it.
 */
import { findExport, isTask, taskModule, type Locator } from './define.js';
import { ClosureError, ValueError } from './errors.js';

const KEYWORDS = new Set(
  ('break case catch class const continue debugger default delete do else export extends finally for function if import in ' +
    'instanceof let new return super switch this throw try typeof var void while with yield async await of static get set ' +
    'null undefined true false NaN Infinity arguments eval as from').split(' '),
);

/** Identifiers a function reads that it neither declares nor gets from the global scope. */
export function freeVariables(source: string): string[] {
  const code = source
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/\/\/[^\n]*/g, ' ')
    .replace(/`(?:\\[\s\S]|\$\{[^}]*\}|[^`\\])*`/g, (t) => ' ' + [...t.matchAll(/\$\{([^}]*)\}/g)].map((m) => m[1]).join(' ; ') + ' ')
    .replace(/'(?:\\.|[^'\\])*'|"(?:\\.|[^"\\])*"/g, ' "" ')
    .replace(/\/(?![*/])(?:\\.|\[(?:\\.|[^\]])*\]|[^/\\\n])+\/[gimsuyd]*/g, (m, offset, all: string) => {
      const before = all.slice(0, offset).trimEnd().slice(-1);
      return '=(,:[!&|?{};'.includes(before) || before === '' ? ' "" ' : m;
    });
  const declared = new Set<string>();
  const declare = (list: string) => {
    for (const m of list.matchAll(/[A-Za-z_$][\w$]*/g)) declared.add(m[0]);
  };
  for (const m of code.matchAll(/\b(?:const|let|var)\b\s*([^=;]+?)(?:=|;|\bof\b|\bin\b)/g)) declare(m[1]!.replace(/:[^,}\]]+/g, ''));
  for (const m of code.matchAll(/\b(?:function\*?|class)\s*([A-Za-z_$][\w$]*)?\s*\(?([^)]*)\)?/g)) {
    if (m[1]) declared.add(m[1]);
    declare(m[2]!.replace(/=[^,]*/g, ''));
  }
  for (const m of code.matchAll(/\(([^()]*)\)\s*=>/g)) declare(m[1]!.replace(/=[^,]*/g, ''));
  for (const m of code.matchAll(/([A-Za-z_$][\w$]*)\s*=>/g)) declared.add(m[1]!);
  for (const m of code.matchAll(/\bcatch\s*\(\s*([^)]*)\)/g)) declare(m[1]!);
  // method shorthand parameters: name(a, b) {
  for (const m of code.matchAll(/[A-Za-z_$][\w$]*\s*\(([^()]*)\)\s*\{/g)) declare(m[1]!.replace(/=[^,]*/g, ''));
  const free = new Set<string>();
  for (const m of code.matchAll(/(?<![\w$.]|\.\s)([A-Za-z_$][\w$]*)(?!\s*:(?!:))/g)) {
    const name = m[1]!;
    if (KEYWORDS.has(name) || declared.has(name) || name in globalThis) continue;
    // object keys in `{ a: 1 }` were excluded by the lookahead; labels and shorthand are rare
    free.add(name);
  }
  return [...free];
}

const sources = new WeakMap<Function, Locator>();

/** Whether a function's source text parses as an expression (compiled, never run). */
function isExpression(source: string): boolean {
  try {
    new Function(`return (${source});`);
    return true;
  } catch {
    return false;
  }
}

/**
 * The source locator of a self-contained function (cached per function); throws ClosureError
 * naming the first free variable. Sync, so Process.start() can fail at once.
 */
export function sourceLocator(fn: Function, what = 'target'): Locator {
  const cached = sources.get(fn);
  if (cached) return cached;
  let source = Function.prototype.toString.call(fn);
  const name = fn.name || 'anonymous';
  if (/\{\s*\[native code\]\s*\}$/.test(source)) throw new ValueError(`${what} "${name}" is a native or bound function; pass a plain function or a task()`);
  // method shorthand `run() {}` is not an expression on its own: make it one
  if (!isExpression(source)) source = `function ${source.replace(/^async\s+/, '')}`.replace(/^function /, /^async\s/.test(source) ? 'async function ' : 'function ');
  const free = freeVariables(source);
  if (free.length > 0) {
    throw new ClosureError(
      `${what} "${name}" captures "${free[0]}" from its enclosing scope, which a worker thread cannot see; ` +
        `export the function from a module wrapped in task() (it may then use that module's imports), or pass "${free[0]}" as an argument`,
    );
  }
  const locator: Locator = { by: 'source', source, name };
  sources.set(fn, locator);
  return locator;
}

/** Where a worker finds a Process/Pool target. */
export async function locateTarget(fn: unknown, what = 'target'): Promise<Locator> {
  if (typeof fn !== 'function') throw new ValueError(`${what} must be a function (got ${fn === null ? 'null' : typeof fn})`);
  if (isTask(fn)) return findExport(fn, taskModule(fn), `${what} "${fn.name || 'anonymous'}"`);
  return sourceLocator(fn, what);
}
