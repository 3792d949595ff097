import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  resolve: {
    // Tests run the TypeScript sources of every workspace package, not their build output.
    alias: {
      '@switchyard/contracts': src('./contracts/src/index.ts'),
      '@switchyard/runtime': src('./services/runtime/src/index.ts'),
      '@switchyard/edge': src('./services/edge/src/index.ts'),
      '@switchyard/normalizer': src('./services/normalizer/src/index.ts'),
      '@switchyard/delivery': src('./services/delivery/src/index.ts'),
      '@switchyard/request': src('./services/request/src/index.ts'),
      '@switchyard/hub': src('./services/hub/src/index.ts'),
    },
  },
  test: {
    include: ['contracts/src/**/*.test.ts', 'services/*/src/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    // Integration suites start real nats-servers and HTTP servers; these are ceilings, not expectations.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default'],
  },
});
