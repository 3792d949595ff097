import { createHmac } from 'node:crypto';
import { rememberSecret } from '../harness/log-audit.js';

/** A BambooHR event-based webhook body (synthetic, shaped as BambooHR documents it). */
export function bambooEvent(type: 'employee.created' | 'employee.updated' | 'employee.deleted', employeeId: string, at = new Date()): string {
  return JSON.stringify({
    type,
    timestamp: at.toISOString().replace(/\.\d{3}Z$/, '+0000'),
    data: { companyId: '12345', employeeId, changedFields: type === 'employee.updated' ? ['firstName'] : [] },
  });
}

/** A signed request exactly as BambooHR sends one: hex HMAC-SHA256 of `body + timestamp`, keyed by the privateKey. */
export interface SignedRequest {
  headers: Record<string, string>;
  body: string;
}

/**
 * Signs `body` the way BambooHR does. The single place that builds a valid request: negative tests
 * take its output and change one thing.
 */
export function signBamboo(privateKey: string, body: string, timestampS = Math.floor(Date.now() / 1000)): SignedRequest {
  const signature = createHmac('sha256', privateKey).update(body + String(timestampS)).digest('hex');
  return {
    headers: {
      'content-type': 'application/json',
      'user-agent': 'BambooHR-WebHooks/1.0 (+https://www.bamboohr.com)',
      'x-bamboohr-timestamp': String(timestampS),
      'x-bamboohr-signature': signature,
    },
    body,
  };
}

/** POSTs a signed request to a webhook URL; resolves with status and parsed JSON body. */
export async function sendBamboo(url: string, request: SignedRequest): Promise<{ status: number; body: Record<string, unknown> }> {
  rememberSecret('BambooHR signature header', request.headers['x-bamboohr-signature']);
  rememberSecret('BambooHR webhook body', request.body);
  const response = await fetch(url, { method: 'POST', headers: request.headers, body: request.body });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}
