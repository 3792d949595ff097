/**
 * The BambooHR API simulator as a child process for `request.ts`: it gets an event loop of its own, so
 * the direct calls and the hub's calls meet the same server, and neither shares a loop with autocannon.
 * Reports `{ port }` over IPC (see `forkServer`). Env: BENCH_BAMBOO_KEY (the accepted API key),
 * BENCH_BAMBOO_EMPLOYEES (default 250).
 */
import { startBambooHrApi } from '../simulators/bamboohr-api.js';

const api = await startBambooHrApi({
  apiKeys: [process.env.BENCH_BAMBOO_KEY ?? 'bamboo-key'],
  employees: Number(process.env.BENCH_BAMBOO_EMPLOYEES ?? 250),
});
process.send?.({ port: Number(new URL(api.url).port) });

// Exit with the parent: a crashed bench must not leave servers behind.
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => void api.close().finally(() => process.exit(0)));
