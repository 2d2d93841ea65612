import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  resolve: {
    alias: [
      { find: /^troupe\/multiprocessing\/shared_memory$/, replacement: src('./src/multiprocessing/shared_memory.ts') },
      { find: /^troupe\/multiprocessing$/, replacement: src('./src/multiprocessing/index.ts') },
      { find: /^troupe\/testing$/, replacement: src('./src/testing/index.ts') },
      { find: /^troupe$/, replacement: src('./src/index.ts') },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 2,
  },
});
