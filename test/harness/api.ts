import { expect } from 'vitest';

/** POSTs JSON with a bearer token to a hub or request service and expects 201; returns the body. */
export async function createVia(baseUrl: string, path: string, token: string, body: unknown): Promise<Record<string, string>> {
  const response = await fetch(`${baseUrl}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = (await response.json()) as Record<string, string>;
  expect(response.status, `${path}: ${JSON.stringify(json)}`).toBe(201);
  return json;
}
