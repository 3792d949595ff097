import { createServer, type Server } from 'node:http';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EgressPolicy } from '@switchyard/kernel';
import { readExcerpt, Sender } from './sender.js';

describe('Sender: the egress policy holds at connect time', () => {
  let server: Server;
  let port = 0;
  let hits = 0;

  beforeAll(async () => {
    server = createServer((request, response) => {
      hits++;
      request.resume();
      response.writeHead(301, { location: 'http://127.0.0.1:1/elsewhere' }).end('x'.repeat(1_000));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    port = typeof address === 'object' && address ? address.port : 0;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it.each([['127.0.0.1'], ['localhost'], ['[::ffff:127.0.0.1]']])('refuses %s when loopback is not allowed, before connecting', async (host) => {
    const before = hits;
    const sender = new Sender(new EgressPolicy(), { timeoutMs: 2_000 });
    const result = await sender.post(`http://${host}:${port}/hook`, { 'content-type': 'application/json' }, Buffer.from('{}'));
    await sender.close();
    expect(result).toMatchObject({ status: 0, errorClass: 'egress_denied' });
    expect(hits).toBe(before);
  });

  it('reaches an allowed address, does not follow redirects, and keeps no excerpt of what a loopback exception answered', async () => {
    const sender = new Sender(new EgressPolicy(['127.0.0.0/8']), { timeoutMs: 2_000 });
    const result = await sender.post(`http://127.0.0.1:${port}/hook`, { 'content-type': 'application/json' }, Buffer.from('{}'));
    await sender.close();
    expect(result.status).toBe(301);
    expect(result).not.toHaveProperty('responseExcerpt');
  });

  it('reaches a loopback address on the one port listed for it, and refuses its other ports', async () => {
    const sender = new Sender(new EgressPolicy([`127.0.0.1:${port}`]), { timeoutMs: 2_000 });
    const listed = await sender.post(`http://127.0.0.1:${port}/hook`, {}, Buffer.from('{}'));
    const before = hits;
    const other = await sender.post(`http://127.0.0.1:${port === 65535 ? port - 1 : port + 1}/hook`, {}, Buffer.from('{}'));
    await sender.close();
    expect(listed.status).toBe(301);
    expect(other).toMatchObject({ status: 0, errorClass: 'egress_denied' });
    expect(hits).toBe(before);
  });

  it('keeps only the first 256 bytes of a public response as its excerpt', async () => {
    const body = Object.assign(Readable.from([Buffer.from('x'.repeat(200)), Buffer.from('y'.repeat(1_000))]), {});
    const excerpt = await readExcerpt(body);
    expect(excerpt).toBe('x'.repeat(200) + 'y'.repeat(56));
  });
});
