import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';

/** One request received by a {@link Receiver}. */
export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  /** The status answered (0 while a hung request is still open). */
  status: number;
}

/** How to answer the n-th request: a status, a status with headers, or `hang` (held open until released). */
export type Answer = number | { status: number; headers?: Record<string, string>; body?: string } | 'hang';

/** A customer endpoint on loopback that records every request and answers as scripted. */
export interface Receiver {
  readonly url: string;
  readonly received: Received[];
  /** Requests answered 2xx, i.e. deliveries that succeeded. */
  delivered(): Received[];
  /** Requests currently held open by `hang`. */
  hanging(): number;
  /** Answers every held request with `status`. */
  release(status?: number): void;
  close(): Promise<void>;
}

/**
 * Starts a receiver. `respond(n, body)` picks the answer to the n-th request (1-based); the default
 * answers 200 to everything.
 */
export async function startReceiver(respond: (n: number, body: string) => Answer = () => 200): Promise<Receiver> {
  const received: Received[] = [];
  const held: Array<{ entry: Received; response: ServerResponse }> = [];
  const answer = (entry: Received, response: ServerResponse, status: number, headers: Record<string, string> = {}, body?: string) => {
    entry.status = status;
    response.writeHead(status, { 'content-type': 'text/plain', ...headers }).end(body ?? (status < 300 ? 'ok' : 'nope'));
  };
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const reply = respond(received.length + 1, body);
      const entry: Received = { headers: request.headers, body, status: 0 };
      received.push(entry);
      if (reply === 'hang') held.push({ entry, response });
      else if (typeof reply === 'number') answer(entry, response, reply);
      else answer(entry, response, reply.status, reply.headers, reply.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    received,
    delivered: () => received.filter((r) => r.status >= 200 && r.status < 300),
    hanging: () => held.filter((h) => !h.response.writableEnded && !h.response.destroyed).length,
    release: (status = 200) => {
      for (const { entry, response } of held.splice(0)) if (!response.writableEnded && !response.destroyed) answer(entry, response, status);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
