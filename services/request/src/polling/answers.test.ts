import { describe, expect, it } from 'vitest';
import { ModifiedSinceSource } from '@switchyard/contracts';
import { MappingEngine } from '@switchyard/mapping';
import type { RegistrationAnswer } from '@switchyard/provider-client';
import { pageCount, parseXmlAnswer, readListAnswer } from './answers.js';

// A SOAP source as a definition declares it (the Workday shape, trimmed to what these checks read).
const source = ModifiedSinceSource.parse({
  type: 'modified_since',
  list: { method: 'POST', path: '/soap', body: "'<x/>'", body_format: 'text' },
  answer: 'xml',
  fault: { code: 'body.Envelope.Body.Fault.faultcode', message: 'body.Envelope.Body.Fault.faultstring', unauthorized: "$contains(body.Envelope.Body.Fault.faultcode, 'authenticationError')" },
  pages: 'body.Envelope.Body.List_Response.Results.Total_Pages',
  records: 'body.Envelope.Body.List_Response.Data.Item',
  remote_id: 'ID',
  version: 'At',
});
const engine = new MappingEngine();
const answer = (status: number, body: string, throttled = false): RegistrationAnswer =>
  ({ status, headers: { 'content-type': 'text/xml' }, body, malformed: false, rateLimit: { throttled, policies: [], current: [], violated: [], retryAfterS: throttled ? 3 : undefined } }) as RegistrationAnswer;
const envelope = (inner: string) => `<?xml version="1.0"?><env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/"><env:Body>${inner}</env:Body></env:Envelope>`;
const page = envelope('<wd:List_Response xmlns:wd="urn:x"><wd:Results><wd:Total_Pages>3</wd:Total_Pages></wd:Results><wd:Data><wd:Item><wd:ID wd:type="Employee_ID">000123</wd:ID><wd:At>2026-01-01T00:00:00Z</wd:At></wd:Item></wd:Data></wd:List_Response>');
const fault = (code: string, text: string) => envelope(`<env:Fault><faultcode>${code}</faultcode><faultstring>${text}</faultstring></env:Fault>`);
const codeOf = (a: RegistrationAnswer) => readListAnswer(engine, 'demo', 'demo/provider.json#polling', source, a).then(() => 'ok', (e: { code: string }) => e.code);

describe('poll list answers', () => {
  it('reads an XML page with prefixes stripped, attributes as @_name and values kept as strings', async () => {
    const view = await readListAnswer(engine, 'demo', 'w', source, answer(200, page));
    const item = (view.body as any).Envelope.Body.List_Response.Data.Item;
    expect(item.ID).toEqual({ '#text': '000123', '@_type': 'Employee_ID' });
    expect(await pageCount(engine, 'demo', 'w', source, view)).toBe(3);
  });

  it('refuses garbage and DOCTYPE-carrying XML as SWY_ERR_POLL_ANSWER_INVALID', async () => {
    expect(await codeOf(answer(200, '<env:Envelope><env:Body>'))).toBe('SWY_ERR_POLL_ANSWER_INVALID');
    expect(await codeOf(answer(200, ''))).toBe('SWY_ERR_POLL_ANSWER_INVALID');
    expect(() => parseXmlAnswer('demo', '<!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>', 200)).toThrow(/DOCTYPE/);
  });

  it('gives a fault its code: refused credentials, another fault, and a throttle before either', async () => {
    expect(await codeOf(answer(500, fault('SOAP-ENV:Client.authenticationError', 'invalid username or password')))).toBe('SWY_ERR_PROVIDER_UNAUTHORIZED');
    expect(await codeOf(answer(500, fault('SOAP-ENV:Client.validationError', 'Validation error occurred')))).toBe('SWY_ERR_POLL_PROVIDER_FAULT');
    expect(await codeOf(answer(429, 'Too Many Requests', true))).toBe('SWY_ERR_PROVIDER_RATE_LIMITED');
    // An error page that is not XML is judged by its status.
    expect(await codeOf(answer(502, 'Bad Gateway'))).toBe('SWY_ERR_PROVIDER_ERROR');
    expect(await codeOf(answer(401, '<html><body>Unauthorized<br></body></html>'))).toBe('SWY_ERR_PROVIDER_UNAUTHORIZED');
    const error = await readListAnswer(engine, 'demo', 'w', source, answer(500, fault('SOAP-ENV:Server', 'Processing error occurred'))).catch((e: Error) => e);
    expect((error as Error).message).toContain('SOAP-ENV:Server: Processing error occurred');
  });

  it('needs a page count when the source declares one', async () => {
    const view = await readListAnswer(engine, 'demo', 'w', source, answer(200, envelope('<List_Response/>')));
    await expect(pageCount(engine, 'demo', 'w', source, view)).rejects.toMatchObject({ code: 'SWY_ERR_POLL_ANSWER_INVALID' });
  });
});
