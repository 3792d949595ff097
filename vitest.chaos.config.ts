import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

/**
 * `npm run test:chaos`: failure drills against a real 3-node nats-server cluster (test/chaos/*.chaos.ts).
 * They take minutes, so `npm test` (vitest.config.ts, `*.test.ts` only) never runs them.
 */
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: ['test/chaos/**/*.chaos.ts'],
    testTimeout: 300_000,
    hookTimeout: 120_000,
    // One drill at a time: each starts three nats-servers and a hub on a small machine.
    fileParallelism: false,
  },
});
