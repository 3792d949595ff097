import { describe, expect, it } from 'vitest';
import { WebhookDefinition } from '@switchyard/contracts';
import { ProviderCatalog } from '@switchyard/mapping';
import { replayKey, verificationBoundsAge } from './replay.js';

const catalog = await ProviderCatalog.load();
const webhookOf = (slug: string) => catalog.get(slug)!.definition.webhook!;

describe('which providers need long-lived replay keys', () => {
  it('keeps keys for signatures without a timestamp, not for signed timestamps', () => {
    for (const slug of ['gusto', 'hibob', 'microsoft-graph', 'xero']) expect(verificationBoundsAge(webhookOf(slug)), slug).toBe(false);
    for (const slug of ['bamboohr', 'hubspot', 'standard-webhooks', 'finch']) expect(verificationBoundsAge(webhookOf(slug)), slug).toBe(true);
  });

  it('keeps keys for an any_of group unless every alternative bounds the age (a sender may pick the weakest)', () => {
    const hubspot = webhookOf('hubspot');
    const v3 = hubspot.verify[0]!;
    const v1 = { scheme: 'digest', algorithm: 'sha256', secret: { source: 'app_secret', name: 'client_secret' }, signature: { header: 'x-hubspot-signature' }, signed: [{ part: 'body' }] };
    const group = (of: unknown[]) => WebhookDefinition.parse({ ...hubspot, verify: [{ scheme: 'any_of', of }] });
    expect(verificationBoundsAge(group([v3, v1]))).toBe(false);
    expect(verificationBoundsAge(group([v3, { ...v3, signature: { header: 'x-hubspot-signature-v3-next' } }]))).toBe(true);
    expect(verificationBoundsAge(webhookOf('dynamics-365'))).toBe(false);
  });

  it('turns a RAW message id into a KV key of the same account', () => {
    expect(replayKey('acc_1:0123abcd')).toBe('acc_1.0123abcd');
  });
});
