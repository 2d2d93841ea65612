// `npm start`: runs every example in order, each as its own Node process (as a user would).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const examples = [
  'display.ts',
  'display-args.ts',
  'cube.ts',
  'cube-and-even.ts',
  'pipe.ts',
  'queue.ts',
  'lock.ts',
  'logging.ts',
  'pool.ts',
  'shared-value.ts',
  'shared-memory.ts',
  'manager.ts',
  'custom-manager.ts',
  'actors.ts',
  'supervision.ts',
  'http-service/index.ts',
];

let failed = 0;
for (const example of examples) {
  const file = fileURLToPath(new URL(`./${example}`, import.meta.url));
  if (!existsSync(file)) continue;
  console.log(`\n=== examples/${example}`);
  const result = spawnSync(process.execPath, ['--import', 'tsx', file], { stdio: 'inherit', timeout: 60_000 });
  if (result.status !== 0) {
    failed++;
    console.log(`!!! examples/${example} exited with ${result.status ?? result.signal}`);
  }
}
process.exitCode = failed === 0 ? 0 : 1;
