import { randomUUID } from 'node:crypto';

/*
 * SAP SuccessFactors as an event notification sender (Event Notification Subscription / Event
 * Subscription Management, Intelligent Services Center; providers.md §21.12): one SOAP 1.1 POST per
 * event to the subscriber's endpoint, `ExternalEvent` in the `http://notification.event.successfactors.com`
 * namespace with `externalEventMeta` (externalEventId, type, publishedAt in epoch ms, publishedBy,
 * effective, repost) and `events/event` (eventId, entityType, effectiveStartDate, entityKeys/entityKey
 * and params/param as unqualified name/value pairs). The element names and order follow SAP's sample
 * notification (blogs.sap.com 2021-08-17) and the `NotifyImplPort` WSDL of SAP's extension sample
 * (github.com/SAP-archive/cloud-sfsf-timeoff-ext) (S); the `ns3` prefix is the sample's and a receiver
 * must not depend on it. The subscription's authentication is Basic or none (then a `?token=` in the URL
 * is the only secret the hub can check) (S).
 */

/** One entry of `events`: the changed entity's type, keys and parameters. */
export interface SfEventItem {
  entityType: string;
  /** Entity keys in the order they are written (EmpJob: seqNumber, startDate, userId). */
  keys: Record<string, string>;
  effectiveStartDate?: string;
  params?: Record<string, string>;
}

/** One `ExternalEvent` notification. */
export interface SfExternalEvent {
  externalEventId?: string;
  /** e.g. `com.successfactors.Employment.AssignmentInformation.Hire`. */
  type: string;
  publishedAt?: number;
  publishedBy?: string;
  effective?: 'current' | 'future' | 'past';
  repost?: boolean;
  events: SfEventItem[];
}

const escape = (value: string) => value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const pairs = (element: string, values: Record<string, string>) =>
  Object.entries(values)
    .map(([name, value]) => `<ns3:${element}><name>${escape(name)}</name><value>${escape(value)}</value></ns3:${element}>`)
    .join('');

/** The SOAP envelope SuccessFactors POSTs for `event` (ids and times filled in when absent). */
export function externalEventXml(event: SfExternalEvent): string {
  const at = event.publishedAt ?? Date.now();
  const by = event.publishedBy ?? 'sfadmin';
  const repost = String(event.repost ?? false);
  const items = event.events
    .map(
      (item) =>
        `<ns3:event><ns3:eventId>${randomUUID()}</ns3:eventId><ns3:entityType>${escape(item.entityType)}</ns3:entityType>` +
        (item.effectiveStartDate ? `<ns3:effectiveStartDate>${item.effectiveStartDate}</ns3:effectiveStartDate>` : '') +
        `<ns3:publishedAt>${at - 5_000}</ns3:publishedAt><ns3:publishedBy>${escape(by)}</ns3:publishedBy><ns3:repost>${repost}</ns3:repost>` +
        `<ns3:entityKeys>${pairs('entityKey', item.keys)}</ns3:entityKeys>` +
        (item.params ? `<ns3:params>${pairs('param', item.params)}</ns3:params>` : '') +
        `</ns3:event>`,
    )
    .join('');
  return (
    `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>` +
    `<ns3:ExternalEvent xmlns:ns3="http://notification.event.successfactors.com" xmlns:ns6="com.successfactors.event.notification">` +
    `<ns3:externalEventMeta><ns3:externalEventId>${event.externalEventId ?? randomUUID()}</ns3:externalEventId><ns3:type>${escape(event.type)}</ns3:type>` +
    `<ns3:publishedAt>${at}</ns3:publishedAt><ns3:publishedBy>${escape(by)}</ns3:publishedBy><ns3:effective>${event.effective ?? 'current'}</ns3:effective>` +
    `<ns3:repost>${repost}</ns3:repost></ns3:externalEventMeta><ns3:events>${items}</ns3:events></ns3:ExternalEvent></soap:Body></soap:Envelope>`
  );
}

/** How the subscription authenticates: Basic with the configured user and password, or nothing. */
export type SfSubscriptionAuth = { user: string; password: string } | undefined;

/** POSTs a notification as SuccessFactors does (SOAP 1.1: text/xml, an empty SOAPAction). */
export async function sendExternalEvent(url: string, body: string, auth: SfSubscriptionAuth): Promise<{ status: number; contentType: string | null; text: string }> {
  const headers: Record<string, string> = { 'content-type': 'text/xml; charset=utf-8', soapaction: '""' };
  if (auth) headers.authorization = `Basic ${Buffer.from(`${auth.user}:${auth.password}`).toString('base64')}`;
  const response = await fetch(url, { method: 'POST', headers, body });
  return { status: response.status, contentType: response.headers.get('content-type'), text: await response.text() };
}
