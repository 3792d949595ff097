import { describe, expect, it } from 'vitest';
import { parseBody } from './body-format.js';

describe('parseBody', () => {
  it('parses XML to JSON keeping prefixes, attributes and string values, and decodes entities', () => {
    const xml = '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><Id a="1">00D5e000000abcd</Id><Name>Ren&#233; &amp; Co</Name><Zip>01234</Zip></soapenv:Envelope>';
    expect(parseBody('xml', Buffer.from(xml))).toEqual({
      'soapenv:Envelope': { '@_xmlns:soapenv': 'http://schemas.xmlsoap.org/soap/envelope/', Id: { '#text': '00D5e000000abcd', '@_a': '1' }, Name: 'René & Co', Zip: '01234' },
    });
  });

  it('refuses malformed XML with the line of the error', () => {
    expect(() => parseBody('xml', Buffer.from('<a><b></a>'))).toThrow(/malformed XML at line 1/);
  });

  it('parses form bodies, repeated keys becoming arrays', () => {
    expect(parseBody('form', Buffer.from('a=1&b=2&a=3'))).toEqual({ a: ['1', '3'], b: '2' });
  });
});
