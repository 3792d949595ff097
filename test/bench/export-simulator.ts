/**
 * The HubSpot API simulator as a child process for `export.ts`, seeded with BENCH_EXPORT_RECORDS
 * contacts (default 50 000) and a burst limit no walk reaches: the direct walk and the hub's export
 * meet the same server on its own event loop. Reports `{ port }` over IPC (see `forkServer`).
 */
import { startHubSpotApi } from '../simulators/hubspot-api.js';

const api = await startHubSpotApi({
  counts: { contacts: Number(process.env.BENCH_EXPORT_RECORDS ?? 50_000), companies: 1, deals: 1 },
  rateLimit: { max: 1_000_000, intervalMs: 10_000 },
  dailyLimit: 100_000_000,
});
process.send?.({ port: Number(new URL(api.url).port) });

// Exit with the parent: a crashed bench must not leave servers behind.
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => void api.close().finally(() => process.exit(0)));
