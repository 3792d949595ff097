/**
 * The customer endpoint of the delivery bench, run as a child process by `delivery.ts`: a bare
 * `node:http` server that answers every POST 200 as soon as the body has arrived, then counts it.
 * It runs in its own process so that its work and the bench's load generator never share an event
 * loop, and so that the hub's deliveries and the bench's raw POSTs hit exactly the same server.
 *
 * Per request it reads the body, parses it as JSON (a real receiver must), remembers the
 * `webhook-id` per path (to tell duplicates from new deliveries; one event fanned out to many endpoint
 * paths is one delivery per path) and, for the first arrival of an id whose body
 * has an ISO `timestamp`, records `arrival - Date.parse(timestamp)`: the end-to-end latency when the
 * sender put its send time there. Arrival times use `performance.timeOrigin + performance.now()`, the
 * wall clock at sub-millisecond resolution, which the bench process on the same machine shares.
 *
 * Control is over IPC, not HTTP, so that reading the figures never queues behind (or counts as) load:
 * `{ id, op: 'reset', expect?, failRate? }` starts a new window (noting when `expect` distinct ids have
 * arrived; answering a random `failRate` of requests 500, which are not counted as arrivals);
 * `{ id, op: 'stats', latencies?, arrivals? }` answers with {@link SinkStats}.
 */
import { createServer } from 'node:http';
import { performance } from 'node:perf_hooks';

/** What the sink reports over IPC for the window since the last reset. */
export interface SinkStats {
  /** Requests answered (every POST, duplicates included). */
  count: number;
  /** Distinct `webhook-id`s (or body ids) seen. */
  unique: number;
  /** Requests whose id had been seen before in this window (redeliveries). */
  duplicates: number;
  /** Bodies that were not JSON. */
  unparsable: number;
  /** Wall-clock ms (sub-ms precision) of the first and the last arrival; 0 when none. */
  firstAtMs: number;
  lastAtMs: number;
  /** Wall-clock ms when the `expect`-th distinct id arrived; 0 until then (or when none was set). */
  reachedAtMs: number;
  /** End-to-end latency samples (ms) of first arrivals, only when asked for. */
  latencies?: number[];
  /** First arrival (wall-clock ms) per id, only when asked for: lets the bench split latency by stage. */
  arrivals?: Record<string, number>;
  /** Requests answered 500 on purpose (`failRate`). */
  failed: number;
  /**
   * First arrivals of an event whose body has a `record_id` and a `sequence` lower than one already
   * delivered for the same (path, record): a per-record order violation.
   */
  orderViolations: number;
}

/** A control message from the bench. */
export interface SinkCommand {
  id: number;
  op: 'reset' | 'stats';
  /** With `reset`: the number of distinct ids whose arrival time to note (`reachedAtMs`). */
  expect?: number;
  /** With `reset`: the share of requests (0…1) to answer 500. */
  failRate?: number;
  latencies?: boolean;
  arrivals?: boolean;
}

const nowMs = () => performance.timeOrigin + performance.now();

function freshWindow(expect = 0, failRate = 0) {
  return {
    expect,
    failRate,
    reachedAtMs: 0,
    count: 0,
    unparsable: 0,
    duplicates: 0,
    failed: 0,
    orderViolations: 0,
    firstAtMs: 0,
    lastAtMs: 0,
    ids: new Map<string, number>(),
    lastSequence: new Map<string, number>(),
    latencies: [] as number[],
  };
}
let current = freshWindow();

function record(arrivalMs: number, path: string, headerId: string | undefined, body: Buffer): void {
  const w = current;
  w.count++;
  if (w.firstAtMs === 0) w.firstAtMs = arrivalMs;
  w.lastAtMs = arrivalMs;
  let parsed: { id?: unknown; timestamp?: unknown; record_id?: unknown; sequence?: unknown } | undefined;
  try {
    parsed = JSON.parse(body.toString('utf8')) as typeof parsed;
  } catch {
    w.unparsable++;
  }
  const eventId = headerId ?? (typeof parsed?.id === 'string' ? parsed.id : undefined);
  // One event fanned out to many endpoints (paths) is one delivery per path.
  const id = eventId === undefined ? undefined : path === '/hooks' ? eventId : `${path}|${eventId}`;
  if (id !== undefined) {
    if (w.ids.has(id)) {
      // A redelivery: counted, but its latency would measure the retry, not the pipeline.
      w.duplicates++;
      return;
    }
    w.ids.set(id, arrivalMs);
    if (w.ids.size === w.expect) w.reachedAtMs = arrivalMs;
    if (typeof parsed?.record_id === 'string' && typeof parsed.sequence === 'number') {
      const record = `${path}|${parsed.record_id}`;
      if ((w.lastSequence.get(record) ?? -1) > parsed.sequence) w.orderViolations++;
      else w.lastSequence.set(record, parsed.sequence);
    }
  }
  if (typeof parsed?.timestamp === 'string') {
    const sentMs = Date.parse(parsed.timestamp);
    if (Number.isFinite(sentMs)) w.latencies.push(arrivalMs - sentMs);
  }
}

const server = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    const arrivalMs = nowMs();
    if (current.failRate > 0 && Math.random() < current.failRate) {
      current.failed++;
      response.writeHead(500, { 'content-type': 'text/plain', 'content-length': '4' }).end('fail');
      return;
    }
    // Answer first: the sender's latency must not include our bookkeeping.
    response.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' }).end('ok');
    const headerId = request.headers['webhook-id'];
    record(arrivalMs, request.url ?? '/', typeof headerId === 'string' ? headerId : undefined, chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
  });
});
// Keep idle keep-alive sockets open across bench phases (Node's default is 5 s), so neither the hub's
// nor the bench's pool pays for reconnecting in a measured window.
server.keepAliveTimeout = 120_000;
server.headersTimeout = 121_000;

process.on('message', (message: SinkCommand) => {
  if (message.op === 'reset') {
    current = freshWindow(message.expect ?? 0, message.failRate ?? 0);
    process.send?.({ id: message.id, ok: true });
    return;
  }
  const w = current;
  const stats: SinkStats = {
    count: w.count,
    unique: w.ids.size,
    duplicates: w.duplicates,
    unparsable: w.unparsable,
    firstAtMs: w.firstAtMs,
    lastAtMs: w.lastAtMs,
    reachedAtMs: w.reachedAtMs,
    failed: w.failed,
    orderViolations: w.orderViolations,
    ...(message.latencies ? { latencies: w.latencies } : {}),
    ...(message.arrivals ? { arrivals: Object.fromEntries(w.ids) } : {}),
  };
  process.send?.({ id: message.id, stats });
});

server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.send?.({ port: typeof address === 'object' && address ? address.port : 0 });
});

// Exit with the parent: a crashed bench must not leave servers behind.
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
