import { createHmac } from 'node:crypto';
import OAuth from 'oauth-1.0a';
import { describe, expect, it } from 'vitest';
import { baseStringUri, percentEncode, signatureBaseString, signOAuth1, type OAuth1Credentials } from './oauth1.js';

// providers.md Appendix A.5 (OAuth Core 1.0 "photos" example) and A.6 (same inputs, HMAC-SHA256).
const photos = {
  request: { method: 'GET', url: 'http://photos.example.net/photos?file=vacation.jpg&size=original' },
  credentials: { consumerKey: 'dpf43f3p2l4k3l03', consumerSecret: 'kd94hf93k423kf44', tokenId: 'nnch734d00sl2jdk', tokenSecret: 'pfkkdhi9sl3r4s00' },
  fixed: { nonce: 'kllo9940pd9333jh', timestamp: 1191242096 },
};

// Appendix A.7: a NetSuite-shaped TBA request.
const netsuite = {
  request: { method: 'GET', url: 'https://1234567-sb1.suitetalk.api.netsuite.com/services/rest/record/v1/customer?limit=5&offset=0' },
  credentials: { consumerKey: 'ck123', consumerSecret: 'cs789', tokenId: 'tk456', tokenSecret: 'ts012', realm: '1234567_SB1' },
  fixed: { nonce: 'abc123', timestamp: 1700000000 },
};

describe('OAuth 1.0a signing (RFC 5849, NetSuite TBA)', () => {
  it('A.5: the published HMAC-SHA1 base string and signature', () => {
    const signed = signOAuth1(photos.request, photos.credentials, { ...photos.fixed, signatureMethod: 'HMAC-SHA1' });
    expect(signed.baseString).toBe(
      'GET&http%3A%2F%2Fphotos.example.net%2Fphotos&file%3Dvacation.jpg%26oauth_consumer_key%3Ddpf43f3p2l4k3l03%26oauth_nonce%3Dkllo9940pd9333jh%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D1191242096%26oauth_token%3Dnnch734d00sl2jdk%26oauth_version%3D1.0%26size%3Doriginal',
    );
    expect(signed.signature).toBe('tR3+Ty81lMeYAr/Fid0kMTYa/WM=');
  });

  it('A.6: HMAC-SHA256 changes the method in the base string and the signature', () => {
    const signed = signOAuth1(photos.request, photos.credentials, photos.fixed);
    expect(signed.baseString).toBe(
      'GET&http%3A%2F%2Fphotos.example.net%2Fphotos&file%3Dvacation.jpg%26oauth_consumer_key%3Ddpf43f3p2l4k3l03%26oauth_nonce%3Dkllo9940pd9333jh%26oauth_signature_method%3DHMAC-SHA256%26oauth_timestamp%3D1191242096%26oauth_token%3Dnnch734d00sl2jdk%26oauth_version%3D1.0%26size%3Doriginal',
    );
    expect(signed.signature).toBe('WVPzl1j6ZsnkIjWr7e3OZ3jkenL57KwaLFhYsroX1hg=');
  });

  it('A.7: NetSuite base string without the realm, signature, and the full header with the signature encoded', () => {
    const signed = signOAuth1(netsuite.request, netsuite.credentials, netsuite.fixed);
    expect(signed.baseString).toBe(
      'GET&https%3A%2F%2F1234567-sb1.suitetalk.api.netsuite.com%2Fservices%2Frest%2Frecord%2Fv1%2Fcustomer&limit%3D5%26oauth_consumer_key%3Dck123%26oauth_nonce%3Dabc123%26oauth_signature_method%3DHMAC-SHA256%26oauth_timestamp%3D1700000000%26oauth_token%3Dtk456%26oauth_version%3D1.0%26offset%3D0',
    );
    expect(signed.signature).toBe('065eMkWbkmuTvBINkBbPfoKh1uAVeJOwk7ZvAwxPNl4=');
    // Field order is not significant (RFC 5849 §3.5.1); the realm comes first, as NetSuite's examples show it.
    expect(signed.authorization.startsWith('OAuth realm="1234567_SB1", ')).toBe(true);
    const fields = Object.fromEntries([...signed.authorization.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    expect(fields).toEqual({
      realm: '1234567_SB1',
      oauth_consumer_key: 'ck123',
      oauth_token: 'tk456',
      oauth_signature_method: 'HMAC-SHA256',
      oauth_timestamp: '1700000000',
      oauth_nonce: 'abc123',
      oauth_version: '1.0',
      oauth_signature: '065eMkWbkmuTvBINkBbPfoKh1uAVeJOwk7ZvAwxPNl4%3D',
    });
  });

  it('the realm never changes the signature', () => {
    const { realm: _unsigned, ...withoutRealm } = netsuite.credentials;
    const a = signOAuth1(netsuite.request, netsuite.credentials, netsuite.fixed);
    const b = signOAuth1(netsuite.request, { ...withoutRealm, realm: 'OTHER' }, netsuite.fixed);
    const c = signOAuth1(netsuite.request, withoutRealm, netsuite.fixed);
    expect(new Set([a.signature, b.signature, c.signature]).size).toBe(1);
    expect(c.authorization.startsWith('OAuth oauth_consumer_key="ck123"')).toBe(true);
  });

  it('RFC 5849 §3.4.1.3 example: query and form parameters decoded, re-encoded, duplicates sorted by value', () => {
    // The RFC's own parameter list (§3.4.1.3.1); it carries no oauth_version, so the protocol pairs are given here.
    const params: Array<[string, string]> = [
      ['b5', '=%3D'], ['a3', 'a'], ['c@', ''], ['a2', 'r b'],
      ['oauth_consumer_key', '9djdj82h48djs9d2'], ['oauth_token', 'kkk9d7dh3k39sjv7'], ['oauth_signature_method', 'HMAC-SHA1'],
      ['oauth_timestamp', '137131201'], ['oauth_nonce', '7d8f3e4a'], ['c2', ''], ['a3', '2 q'],
    ];
    expect(signatureBaseString('post', 'http://example.com/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b', params)).toBe(
      'POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk9d7dh3k39sjv7',
    );
    // The same pairs arrive through signOAuth1 from the URL (`+` is a space in a query) and a form body.
    const signed = signOAuth1(
      { method: 'POST', url: 'http://example.com/request?b5=%3D%253D&a3=a&c%40=&a2=r+b', form: { c2: '', a3: '2 q' } },
      { consumerKey: '9djdj82h48djs9d2', consumerSecret: 's', tokenId: 'kkk9d7dh3k39sjv7', tokenSecret: 't' },
      { nonce: '7d8f3e4a', timestamp: 137131201, signatureMethod: 'HMAC-SHA1' },
    );
    expect(signed.baseString).toContain('a2%3Dr%2520b%26a3%3D2%2520q%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26');
  });

  it('normalizes the base string URI and encodes per RFC 3986 unreserved', () => {
    expect(baseStringUri('HTTPS://Example.COM:443/a%20b?x=1#frag')).toBe('https://example.com/a%20b');
    expect(baseStringUri('http://example.com:8080/r')).toBe('http://example.com:8080/r');
    expect(percentEncode("a b!*'()~._-é")).toBe('a%20b%21%2A%27%28%29~._-%C3%A9');
  });

  it('agrees with the oauth-1.0a package on plain NetSuite-shaped requests', () => {
    const credentials: OAuth1Credentials = { consumerKey: 'ck', consumerSecret: 'c s&', tokenId: 'tk', tokenSecret: 't/s' };
    const oracle = new OAuth({
      consumer: { key: credentials.consumerKey, secret: credentials.consumerSecret },
      signature_method: 'HMAC-SHA256',
      hash_function: (base, key) => createHmac('sha256', key).update(base).digest('base64'),
    });
    for (const url of [
      'https://1234567.suitetalk.api.netsuite.com/services/rest/query/v1/suiteql?limit=1000&offset=0',
      'https://1234567.suitetalk.api.netsuite.com/services/rest/record/v1/customer/42?expandSubResources=true',
      'https://1234567.restlets.api.netsuite.com/app/site/hosting/restlet.nl?script=12&deploy=1',
    ]) {
      const fixed = { nonce: 'n0nce', timestamp: 1_700_000_123 };
      const data = { oauth_consumer_key: 'ck', oauth_token: 'tk', oauth_signature_method: 'HMAC-SHA256', oauth_timestamp: fixed.timestamp, oauth_nonce: fixed.nonce, oauth_version: '1.0' };
      const expected = oracle.getSignature({ url, method: 'POST' }, credentials.tokenSecret, data);
      expect(signOAuth1({ method: 'POST', url }, credentials, fixed).signature).toBe(expected);
    }
  });
});
