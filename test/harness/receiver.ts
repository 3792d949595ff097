import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';

/** One request received by a {@link Receiver}. */
export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  status: number;
}

/** A customer endpoint on loopback that records every request and answers as scripted. */
export interface Receiver {
  readonly url: string;
  readonly received: Received[];
  /** Requests answered 2xx, i.e. deliveries that succeeded. */
  delivered(): Received[];
  close(): Promise<void>;
}

/**
 * Starts a receiver. `respond(n, request)` picks the status of the n-th request (1-based); the default
 * answers 200 to everything.
 */
export async function startReceiver(respond: (n: number, body: string) => number = () => 200): Promise<Receiver> {
  const received: Received[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const status = respond(received.length + 1, body);
      received.push({ headers: request.headers, body, status });
      response.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : 'nope');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    received,
    delivered: () => received.filter((r) => r.status >= 200 && r.status < 300),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
