import { describe, expect, it } from 'vitest';
import { ProviderCatalog } from '@switchyard/mapping';
import { replayKey, verificationBoundsAge } from './replay.js';

const catalog = await ProviderCatalog.load();
const webhookOf = (slug: string) => catalog.get(slug)!.definition.webhook!;

describe('which providers need long-lived replay keys', () => {
  it('keeps keys for signatures without a timestamp, not for signed timestamps', () => {
    for (const slug of ['gusto', 'hibob', 'microsoft-graph', 'xero']) expect(verificationBoundsAge(webhookOf(slug)), slug).toBe(false);
    for (const slug of ['bamboohr', 'hubspot', 'standard-webhooks', 'finch']) expect(verificationBoundsAge(webhookOf(slug)), slug).toBe(true);
  });

  it('turns a RAW message id into a KV key of the same account', () => {
    expect(replayKey('acc_1:0123abcd')).toBe('acc_1.0123abcd');
  });
});
