import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { XMLParser, XMLValidator } from 'fast-xml-parser';

/**
 * Workday, the parts a transaction-log poll and a RaaS read use (providers.md §7, §21.10; shapes are
 * secondary sources (S): Workday's public Get_Workers reference pages, practitioners' notes):
 *
 * - SOAP `POST /ccx/service/{tenant}/Human_Resources/v42.0` with `Get_Workers_Request`:
 *   `Request_Criteria/Transaction_Log_Criteria_Data/Transaction_Date_Range_Data/Updated_From|Updated_Through`
 *   selects workers with a transaction entered in the window; `Response_Filter/As_Of_Entry_DateTime`
 *   shows each as it was at that moment (so a window's pages do not shift); `Page` (from 1) and
 *   `Count` (≤ 999, default 100) page the answer, with `Response_Results/Total_Results|Total_Pages|
 *   Page_Results|Page`. `Exclude_Inactive_Workers` true leaves terminated workers out.
 * - Auth in the envelope: WS-Security `UsernameToken` (`user@tenant`, PasswordText), or an OAuth2
 *   bearer token in `Authorization`. Refused → HTTP 500 with a `SOAP-ENV:Client.authenticationError`
 *   fault (S); a request it cannot read (not XML, no `Get_Workers_Request`, Updated_From after
 *   Updated_Through, Updated_Through in the future, Page 0) → HTTP 500 with
 *   `SOAP-ENV:Client.validationError` and a `Validation_Fault` detail.
 * - RaaS `GET /ccx/service/customreport2/{tenant}/{owner}/{report}?format=json[&Employee_ID=…]` →
 *   `{"Report_Entry": [...]}` (no pagination), HTTP Basic with the same ISU pair; refused → 401.
 * - Throttled (`throttle` > 0): 429 with `Retry-After` on either API; `garbage` > 0: a truncated envelope.
 */
export interface WorkdayApi {
  readonly url: string;
  readonly workers: Map<string, WorkdayWorker>;
  /** Every Get_Workers call, in order: the window, page and count it asked for, and what was answered. */
  readonly calls: Array<{ from: string; through: string; page: number; count: number; status: number }>;
  /** How many of the next calls answer 429 with `Retry-After: 1`. */
  throttle: number;
  /** How many of the next Get_Workers calls answer a `SOAP-ENV:Server` processing fault (a tenant-side failure). */
  serverFaults: number;
  /** How many of the next Get_Workers calls answer 200 with the envelope cut short (a proxy truncating it). */
  garbage: number;
  /** Awaited before a Get_Workers page is answered (a test kills the caller here). */
  beforePage?: ((page: number) => Promise<void>) | undefined;
  hire(worker: Omit<WorkdayWorker, 'id' | 'active' | 'terminated' | 'terminationDate' | 'history'> & { id: string }): void;
  change(id: string, patch: Partial<Pick<WorkdayWorker, 'firstName' | 'lastName' | 'email' | 'title'>>): void;
  terminate(id: string, date: string): void;
  close(): Promise<void>;
}

/** One worker's current data, as the simulator keeps it. */
export interface WorkdayWorker {
  id: string;
  firstName: string;
  lastName: string;
  email: string;
  title: string;
  hireDate: string;
  active: boolean;
  terminated: boolean;
  terminationDate: string | null;
  /** Each business process entered for the worker: its type, when it was entered, and the data after it. */
  history: Array<{ type: 'Hire' | 'Edit_Position' | 'Termination'; entered: number; snapshot: Omit<WorkdayWorker, 'history'> }>;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const soapParser = new XMLParser({ removeNSPrefix: true, parseTagValue: false, ignoreAttributes: true });

function envelope(body: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?><env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/"><env:Body>${body}</env:Body></env:Envelope>`;
}

function fault(code: string, text: string, validation?: string): string {
  const detail = validation ? `<detail><wd:Validation_Fault xmlns:wd="urn:com.workday/bsvc"><wd:Validation_Error><wd:Message>${esc(validation)}</wd:Message></wd:Validation_Error></wd:Validation_Fault></detail>` : '';
  return envelope(`<SOAP-ENV:Fault xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"><faultcode>${code}</faultcode><faultstring>${esc(text)}</faultstring>${detail}</SOAP-ENV:Fault>`);
}

/** A worker as Get_Workers returns it with the reference, personal, employment and transaction log groups (S). */
function workerXml(worker: WorkdayWorker['history'][number]['snapshot'], transactions: WorkdayWorker['history'], tenant: string): string {
  const status = `<wd:Worker_Status_Data><wd:Active>${worker.active ? 1 : 0}</wd:Active><wd:Hire_Date>${worker.hireDate}-08:00</wd:Hire_Date><wd:Terminated>${worker.terminated ? 1 : 0}</wd:Terminated>${worker.terminationDate ? `<wd:Termination_Date>${worker.terminationDate}-08:00</wd:Termination_Date>` : ''}</wd:Worker_Status_Data>`;
  const log = transactions
    .map(
      (t, i) =>
        `<wd:Transaction_Log_Entry><wd:Transaction_Log_Reference><wd:ID wd:type="WID">${worker.id}-tx${i}</wd:ID></wd:Transaction_Log_Reference><wd:Transaction_Log_Data><wd:Transaction_Log_Description>${t.type.replace('_', ' ')}: ${esc(worker.firstName)} ${esc(worker.lastName)}</wd:Transaction_Log_Description><wd:Transaction_Effective_Moment>${new Date(t.entered).toISOString()}</wd:Transaction_Effective_Moment><wd:Transaction_Entry_Moment>${new Date(t.entered).toISOString()}</wd:Transaction_Entry_Moment><wd:Transaction_Log_Type_Reference><wd:ID wd:type="Business_Process_Type">${t.type.replace('_', ' ')}</wd:ID></wd:Transaction_Log_Type_Reference></wd:Transaction_Log_Data></wd:Transaction_Log_Entry>`,
    )
    .join('');
  return (
    `<wd:Worker><wd:Worker_Reference><wd:ID wd:type="WID">wid-${worker.id}</wd:ID><wd:ID wd:type="Employee_ID">${worker.id}</wd:ID></wd:Worker_Reference>` +
    `<wd:Worker_Descriptor>${esc(worker.firstName)} ${esc(worker.lastName)}</wd:Worker_Descriptor><wd:Worker_Data><wd:Worker_ID>${worker.id}</wd:Worker_ID><wd:User_ID>${esc(worker.email.split('@')[0]!)}@${tenant}</wd:User_ID>` +
    `<wd:Personal_Data><wd:Name_Data><wd:Legal_Name_Data><wd:Name_Detail_Data wd:Formatted_Name="${esc(worker.firstName)} ${esc(worker.lastName)}"><wd:First_Name>${esc(worker.firstName)}</wd:First_Name><wd:Last_Name>${esc(worker.lastName)}</wd:Last_Name></wd:Name_Detail_Data></wd:Legal_Name_Data></wd:Name_Data>` +
    `<wd:Contact_Data><wd:Email_Address_Data><wd:Email_Address>${esc(worker.email)}</wd:Email_Address><wd:Usage_Data wd:Public="1"><wd:Type_Data wd:Primary="1"><wd:Type_Reference><wd:ID wd:type="Communication_Usage_Type_ID">WORK</wd:ID></wd:Type_Reference></wd:Type_Data></wd:Usage_Data></wd:Email_Address_Data></wd:Contact_Data></wd:Personal_Data>` +
    `<wd:Employment_Data><wd:Worker_Job_Data wd:Primary_Job="1"><wd:Position_Data><wd:Business_Title>${esc(worker.title)}</wd:Business_Title></wd:Position_Data></wd:Worker_Job_Data>${status}</wd:Employment_Data>` +
    `<wd:Transaction_Log_Entry_Data>${log}</wd:Transaction_Log_Entry_Data></wd:Worker_Data></wd:Worker>`
  );
}

/** A worker as the RaaS workers report returns it: the column aliases mappings/workday/README.md lists. */
function reportEntry(worker: WorkdayWorker): Record<string, string> {
  return {
    Employee_ID: worker.id,
    Worker: `${worker.firstName} ${worker.lastName}`,
    First_Name: worker.firstName,
    Last_Name: worker.lastName,
    Work_Email: worker.email,
    Business_Title: worker.title,
    Active_Status: worker.active ? '1' : '0',
    Terminated: worker.terminated ? '1' : '0',
    Hire_Date: `${worker.hireDate}-08:00`,
    ...(worker.terminationDate ? { Termination_Date: `${worker.terminationDate}-08:00` } : {}),
  };
}

/** Starts the simulator on loopback for one tenant's ISU `username` (`user@tenant`) and `password`, or a bearer token. */
export async function startWorkdayApi(options: { tenant: string; username: string; password: string; bearer?: string; reportOwner: string; report: string }): Promise<WorkdayApi> {
  const workers = new Map<string, WorkdayWorker>();
  const calls: WorkdayApi['calls'] = [];
  let clock = 0;
  const xml = (response: ServerResponse, status: number, body: string) => response.writeHead(status, { 'content-type': 'text/xml; charset=utf-8' }).end(body);
  const bearerOk = (request: IncomingMessage) => options.bearer !== undefined && request.headers.authorization === `Bearer ${options.bearer}`;

  const getWorkers = async (request: IncomingMessage, text: string, response: ServerResponse) => {
    if (XMLValidator.validate(text) !== true) return xml(response, 500, fault('SOAP-ENV:Client.validationError', 'Validation error occurred. The request is not well-formed XML', 'Malformed request'));
    const parsed = soapParser.parse(text) as any;
    const token = parsed?.Envelope?.Header?.Security?.UsernameToken;
    if (!bearerOk(request) && !(token?.Username === options.username && token?.Password === options.password)) return xml(response, 500, fault('SOAP-ENV:Client.authenticationError', 'invalid username or password'));
    const get = parsed?.Envelope?.Body?.Get_Workers_Request;
    if (!get) return xml(response, 500, fault('SOAP-ENV:Client.validationError', 'Validation error occurred. Unknown operation', 'The request holds no Get_Workers_Request'));
    const range = get.Request_Criteria?.Transaction_Log_Criteria_Data?.Transaction_Date_Range_Data;
    const from = Date.parse(range?.Updated_From ?? '');
    const through = Date.parse(range?.Updated_Through ?? '');
    const page = Number(get.Response_Filter?.Page ?? 1);
    const count = Math.min(999, Number(get.Response_Filter?.Count ?? 100));
    const asOf = get.Response_Filter?.As_Of_Entry_DateTime ? Date.parse(get.Response_Filter.As_Of_Entry_DateTime) : Date.now();
    const invalid = (why: string) => {
      calls.push({ from: range?.Updated_From ?? '', through: range?.Updated_Through ?? '', page, count, status: 500 });
      return xml(response, 500, fault('SOAP-ENV:Client.validationError', `Validation error occurred. ${why}`, why));
    };
    if (range && (Number.isNaN(from) || Number.isNaN(through))) return invalid('If one of Updated From or Updated Through contains a value, both are Required!');
    if (range && from > through) return invalid('Updated From must be less than or equal to Updated Through!');
    if (range && through > Date.now()) return invalid('Updated Through must be less than or equal to Current Moment!');
    if (!Number.isInteger(page) || page < 1 || !Number.isInteger(count) || count < 1 || Number.isNaN(asOf)) return invalid('Page Number cannot be zero.');
    if (api.serverFaults > 0) {
      api.serverFaults--;
      calls.push({ from: range?.Updated_From ?? '', through: range?.Updated_Through ?? '', page, count, status: 500 });
      return xml(response, 500, fault('SOAP-ENV:Server', 'Processing error occurred. The tenant could not complete the request'));
    }
    if (api.garbage > 0) {
      api.garbage--;
      calls.push({ from: range?.Updated_From ?? '', through: range?.Updated_Through ?? '', page, count, status: 200 });
      return xml(response, 200, envelope('<wd:Get_Workers_Response xmlns:wd="urn:com.workday/bsvc"><wd:Response_Results><wd:Total_Re').slice(0, -30));
    }
    const excludeInactive = get.Request_Criteria?.Exclude_Inactive_Workers === 'true';
    // Workers with a transaction entered in the window, each as of the As_Of_Entry_DateTime moment.
    const selected = [...workers.values()]
      .sort((a, b) => a.id.localeCompare(b.id))
      .map((w) => ({ history: w.history.filter((t) => t.entered <= asOf) }))
      .filter(({ history }) => history.length > 0 && (!range || history.some((t) => t.entered >= from && t.entered <= through)))
      .map(({ history }) => ({ snapshot: history[history.length - 1]!.snapshot, history }))
      .filter(({ snapshot }) => !excludeInactive || !snapshot.terminated);
    const totalPages = Math.ceil(selected.length / count);
    const slice = selected.slice((page - 1) * count, page * count);
    await api.beforePage?.(page);
    calls.push({ from: range?.Updated_From ?? '', through: range?.Updated_Through ?? '', page, count, status: 200 });
    const results = `<wd:Response_Results><wd:Total_Results>${selected.length}</wd:Total_Results><wd:Total_Pages>${totalPages}</wd:Total_Pages><wd:Page_Results>${slice.length}</wd:Page_Results><wd:Page>${page}</wd:Page></wd:Response_Results>`;
    const data = slice.length ? `<wd:Response_Data>${slice.map((w) => workerXml(w.snapshot, w.history, options.tenant)).join('')}</wd:Response_Data>` : '';
    return xml(response, 200, envelope(`<wd:Get_Workers_Response xmlns:wd="urn:com.workday/bsvc" wd:version="v42.0">${results}${data}</wd:Get_Workers_Response>`));
  };

  const raas = (request: IncomingMessage, url: URL, response: ServerResponse) => {
    const basic = `Basic ${Buffer.from(`${options.username}:${options.password}`).toString('base64')}`;
    if (request.headers.authorization !== basic && !bearerOk(request)) return response.writeHead(401, { 'content-type': 'text/plain' }).end('Unauthorized');
    if (url.searchParams.get('format') !== 'json') return response.writeHead(200, { 'content-type': 'text/xml' }).end('<wd:Report_Data xmlns:wd="urn:com.workday.report/Workers"/>');
    const id = url.searchParams.get('Employee_ID');
    const entries = [...workers.values()].filter((w) => id === null || w.id === id).map(reportEntry);
    return response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ Report_Entry: entries }));
  };

  const soapPath = `/ccx/service/${options.tenant}/Human_Resources/v42.0`;
  const reportPath = `/ccx/service/customreport2/${options.tenant}/${options.reportOwner}/${options.report}`;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const url = new URL(request.url ?? '/', 'http://workday');
      if (api.throttle > 0) {
        api.throttle--;
        return response.writeHead(429, { 'retry-after': '1', 'content-type': 'text/plain' }).end('Too Many Requests');
      }
      if (request.method === 'POST' && url.pathname === soapPath) return void getWorkers(request, Buffer.concat(chunks).toString('utf8'), response).catch(() => response.destroy());
      if (request.method === 'GET' && url.pathname === reportPath) return raas(request, url, response);
      return xml(response, 404, fault('SOAP-ENV:Client', 'No such web service'));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

  const record = (worker: WorkdayWorker, type: WorkdayWorker['history'][number]['type']) => {
    // Strictly increasing entry moments, as a tenant's successive business processes.
    clock = Math.max(Date.now(), clock + 1);
    const { history: _history, ...snapshot } = worker;
    worker.history.push({ type, entered: clock, snapshot });
    workers.set(worker.id, worker);
  };
  const existing = (id: string) => {
    const worker = workers.get(id);
    if (!worker) throw new Error(`no worker ${id}`);
    return worker;
  };
  const api: WorkdayApi = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    workers,
    calls,
    throttle: 0,
    serverFaults: 0,
    garbage: 0,
    hire: (worker) => record({ ...worker, active: true, terminated: false, terminationDate: null, history: [] }, 'Hire'),
    change: (id, patch) => {
      const worker = existing(id);
      record(Object.assign(worker, patch), 'Edit_Position');
    },
    terminate: (id, date) => {
      const worker = existing(id);
      record(Object.assign(worker, { active: false, terminated: true, terminationDate: date }), 'Termination');
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  return api;
}
