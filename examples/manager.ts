// Python's "Sharing state between processes: server process" example: a Manager holds a dict and
// a list; a child changes them through proxies; the parent sees the changes.
import { Manager, Process } from 'troupe/multiprocessing';
import { fillManaged } from './sharing-targets.js';

/** Python's repr of a dict, for the same output as the Python example. */
function pyRepr(value: unknown): string {
  if (value === null) return 'None';
  if (typeof value === 'string') return `'${value}'`;
  return String(value);
}

await using manager = await Manager();
const d = await manager.dict<number | string, string | number | null>();
const l = await manager.list(Array.from({ length: 10 }, (_, i) => i));

const p = new Process({ target: fillManaged, args: [d, l] });
p.start();
await p.join();

console.log(`{${(await d.items()).map(([k, v]) => `${pyRepr(k)}: ${pyRepr(v)}`).join(', ')}}`);
console.log(`[${(await l.copy()).join(', ')}]`);
