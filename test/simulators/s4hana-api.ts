import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';

/** A business partner as the simulator stores it; `lastChange` is an instant, split into OData date + time on the wire. */
export interface S4BusinessPartner {
  id: string;
  category: '1' | '2';
  fullName: string;
  firstName: string;
  lastName: string;
  grouping: string;
  customer: string;
  supplier: string;
  blocked: boolean;
  created: string;
  lastChange: string;
  address: { street: string; house: string; city: string; postalCode: string; country: string; region: string; email: string | null; phone: string | null };
}

/** Knobs and counters of a running S/4HANA simulator. */
export interface S4HanaApiState {
  partners: S4BusinessPartner[];
  readonly requests: Record<string, number>;
  lastQuery: Record<string, string | undefined>;
  /** The next `n` authenticated requests answer 429. */
  throttleNext(n: number): void;
}

/** A running simulator; the service root is `${url}/sap/opu/odata/sap/API_BUSINESS_PARTNER`. */
export interface S4HanaApi {
  readonly url: string;
  readonly state: S4HanaApiState;
  close(): Promise<void>;
}

const ROOT = '/sap/opu/odata/sap/API_BUSINESS_PARTNER';

/** Deterministic seed: keys from 1000000, changed every 3 h 17 min (so several per day), odd ones organizations. */
export function seedBusinessPartners(count: number): S4BusinessPartner[] {
  const base = Date.parse('2026-03-01T06:00:00Z');
  return Array.from({ length: count }, (_, i) => {
    const org = i % 2 === 1;
    return {
      id: String(1_000_000 + i),
      category: org ? '2' : '1',
      fullName: org ? `Partner ${i} AG` : `Person ${i}`,
      firstName: org ? '' : `Person`,
      lastName: org ? '' : String(i),
      grouping: 'BP02',
      customer: i % 3 === 0 ? String(1_000_000 + i) : '',
      supplier: i % 4 === 1 ? String(1_000_000 + i) : '',
      blocked: i % 13 === 12,
      created: new Date(base - 86_400_000 + i * 1_000).toISOString(),
      lastChange: new Date(base + i * 197 * 60_000).toISOString(),
      address: { street: 'Dietmar-Hopp-Allee', house: String(i + 1), city: 'Walldorf', postalCode: '69190', country: 'DE', region: 'BW', email: i % 6 === 5 ? null : `BP${i}@Partner.example`, phone: i % 2 ? `+49 6227 7${i}` : null },
    };
  });
}

/** OData v2 `Edm.DateTime` (`/Date(ms)/`, midnight UTC of the day) and `Edm.Time` (`PT13H20M05S`) of an instant. */
const odataDate = (iso: string) => `/Date(${Date.parse(iso.slice(0, 10))})/`;
const odataTime = (iso: string) => `PT${iso.slice(11, 13)}H${iso.slice(14, 16)}M${iso.slice(17, 19)}S`;

function wire(p: S4BusinessPartner, expand: string | undefined) {
  const nav = (name: string) => expand?.split(',').some((e) => e.split('/').includes(name));
  const address = {
    AddressID: '22001',
    StreetName: p.address.street,
    HouseNumber: p.address.house,
    CityName: p.address.city,
    PostalCode: p.address.postalCode,
    Country: p.address.country,
    Region: p.address.region,
    ...(nav('to_EmailAddress') ? { to_EmailAddress: { results: p.address.email ? [{ AddressID: '22001', EmailAddress: p.address.email, IsDefaultEmailAddress: true }] : [] } } : {}),
    ...(nav('to_PhoneNumber') ? { to_PhoneNumber: { results: p.address.phone ? [{ AddressID: '22001', PhoneNumber: p.address.phone }] : [] } } : {}),
  };
  return {
    __metadata: { id: `${ROOT}/A_BusinessPartner('${p.id}')`, type: 'API_BUSINESS_PARTNER.A_BusinessPartnerType' },
    BusinessPartner: p.id,
    Customer: p.customer,
    Supplier: p.supplier,
    BusinessPartnerCategory: p.category,
    BusinessPartnerFullName: p.fullName,
    BusinessPartnerGrouping: p.grouping,
    BusinessPartnerName: p.fullName,
    FirstName: p.firstName,
    LastName: p.lastName,
    OrganizationBPName1: p.category === '2' ? p.fullName : '',
    BusinessPartnerIsBlocked: p.blocked,
    IsMarkedForArchiving: false,
    CreationDate: odataDate(p.created),
    CreationTime: odataTime(p.created),
    LastChangeDate: odataDate(p.lastChange),
    LastChangeTime: odataTime(p.lastChange),
    ...(nav('to_BusinessPartnerAddress') ? { to_BusinessPartnerAddress: { results: [address] } } : { to_BusinessPartnerAddress: { __deferred: { uri: `${ROOT}/A_BusinessPartner('${p.id}')/to_BusinessPartnerAddress` } } }),
  };
}

/**
 * The one `$filter` shape the hub sends for `updated_after`, as OData v2 spells it (date and time are
 * separate properties): `(LastChangeDate gt datetime'D') or (LastChangeDate eq datetime'D' and LastChangeTime gt time'PThhHmmMssS')`.
 */
function filterOf(filter: string | undefined): ((p: S4BusinessPartner) => boolean) | string | undefined {
  if (filter === undefined) return undefined;
  const m = /^\(LastChangeDate gt datetime'(\d{4}-\d\d-\d\d)T00:00:00'\) or \(LastChangeDate eq datetime'\1T00:00:00' and LastChangeTime gt time'PT(\d\d)H(\d\d)M(\d\d)S'\)$/.exec(filter);
  if (!m) return `Invalid filter expression: '${filter.slice(0, 80)}'.`;
  const since = Date.parse(`${m[1]}T${m[2]}:${m[3]}:${m[4]}Z`);
  // Second precision on the wire, as Edm.Time carries it.
  return (p) => Math.floor(Date.parse(p.lastChange) / 1000) * 1000 > since;
}

const odataError = (reply: FastifyReply, status: number, code: string, message: string) =>
  reply.code(status).send({ error: { code, message: { lang: 'en', value: message }, innererror: { transactionid: '0A1B2C3D4E5F', timestamp: '20260301060000.0000000' } } });

/**
 * SAP S/4HANA's API_BUSINESS_PARTNER (OData v2) on loopback: `A_BusinessPartner` with `$top`/`$skip`,
 * `$orderby`, `$filter` on LastChangeDate/LastChangeTime, `$expand` of the address with e-mail and
 * phone, `$format=json` answers `{d: {results}}` (a single entity: `{d: {...}}`), HTTP Basic of a
 * communication user (SAP_COM_0008), 404 with an OData error body for an unknown key, 429 when throttled.
 * Shapes from api.sap.com API_BUSINESS_PARTNER (S: field list as the Business Accelerator Hub shows it).
 */
export async function startS4HanaApi(options: { user: string; password: string; partners?: number }): Promise<S4HanaApi> {
  const requests: Record<string, number> = {};
  let throttled = 0;
  const state: S4HanaApiState = {
    partners: seedBusinessPartners(options.partners ?? 140),
    requests,
    lastQuery: {},
    throttleNext(n) {
      throttled = n;
    },
  };
  const expected = `Basic ${Buffer.from(`${options.user}:${options.password}`).toString('base64')}`;
  const app = Fastify({ logger: false });
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const key = `${request.method} ${request.routeOptions.url ?? request.url}`;
    requests[key] = (requests[key] ?? 0) + 1;
    if (request.headers.authorization !== expected) return reply.code(401).header('www-authenticate', 'Basic realm="SAP NetWeaver Application Server"').send('Logon failed');
    if (throttled > 0) {
      throttled--;
      return odataError(reply, 429, 'TOO_MANY_REQUESTS', 'Too many requests');
    }
    return undefined;
  });
  app.get(`${ROOT}/A_BusinessPartner`, async (request, reply) => {
    const q = request.query as Record<string, string | undefined>;
    state.lastQuery = q;
    if (q.$format !== 'json') return reply.code(200).header('content-type', 'application/atom+xml').send('<feed/>');
    const top = q.$top === undefined ? undefined : Number(q.$top);
    const skip = Number(q.$skip ?? 0);
    if ((top !== undefined && (!Number.isInteger(top) || top < 0)) || !Number.isInteger(skip) || skip < 0) return odataError(reply, 400, '/IWBEP/CM_MGW_RT/020', 'Invalid system query option');
    if (q.$orderby !== undefined && q.$orderby !== 'BusinessPartner') return odataError(reply, 400, '/IWBEP/CM_MGW_RT/022', `Property ${q.$orderby} not sortable`);
    const test = filterOf(q.$filter);
    if (typeof test === 'string') return odataError(reply, 400, '/IWBEP/CM_MGW_RT/021', test);
    const rows = state.partners.filter((p) => (test ? test(p) : true)).sort((a, b) => a.id.localeCompare(b.id));
    return { d: { results: rows.slice(skip, top === undefined ? undefined : skip + top).map((p) => wire(p, q.$expand)) } };
  });
  app.get(`${ROOT}/:segment`, async (request, reply) => {
    const segment = decodeURIComponent((request.params as { segment: string }).segment);
    const key = /^A_BusinessPartner\('([^']*)'\)$/.exec(segment)?.[1];
    const found = key === undefined ? undefined : state.partners.find((p) => p.id === key);
    if (!found) return odataError(reply, 404, '/IWBEP/CM_MGW_RT/004', "Resource not found for segment 'A_BusinessPartnerType'");
    return { d: wire(found, (request.query as { $expand?: string }).$expand) };
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  return { url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, state, close: () => app.close() };
}
