import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  resolve: {
    // Tests run the TypeScript sources of every workspace package, not their build output.
    alias: {
      '@switchyard/contracts': src('./contracts/src/index.ts'),
      '@switchyard/client': src('./clients/typescript/src/index.ts'),
      '@switchyard/kernel': src('./services/runtime/kernel/src/index.ts'),
      '@switchyard/bus': src('./services/runtime/bus/src/index.ts'),
      '@switchyard/mapping': src('./services/runtime/mapping/src/index.ts'),
      '@switchyard/stores': src('./services/runtime/stores/src/index.ts'),
      '@switchyard/provider-auth': src('./services/runtime/provider-auth/src/index.ts'),
      '@switchyard/provider-client': src('./services/runtime/provider-client/src/index.ts'),
      '@switchyard/nats-server': src('./services/runtime/nats-server/src/index.ts'),
      '@switchyard/runtime': src('./services/runtime/assembly/src/index.ts'),
      '@switchyard/edge': src('./services/edge/src/index.ts'),
      '@switchyard/normalizer': src('./services/normalizer/src/index.ts'),
      '@switchyard/delivery': src('./services/delivery/src/index.ts'),
      '@switchyard/request': src('./services/request/src/index.ts'),
      '@switchyard/hub': src('./services/hub/src/index.ts'),
    },
  },
  test: {
    include: ['contracts/src/**/*.test.ts', 'services/*/src/**/*.test.ts', 'services/runtime/*/src/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    // Integration suites start real nats-servers and HTTP servers; these are ceilings, not expectations.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default'],
  },
});
