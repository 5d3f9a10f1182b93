import { describe, expect, it } from 'vitest';
import { parseAcsAuthorization, roaSignature, roaStringToSign } from './acs-signature.js';

// A request as the tea OpenAPI client (alibabacloud-tea-openapi 0.4.6, under alipai
// 0.4.13) builds it; the expected string and signature are what its own
// Utils.get_string_to_sign and Utils.get_roasignature compute for it.
const headers = {
  date: 'Thu, 06 Feb 2020 07:32:54 GMT',
  host: '127.0.0.1:9090',
  accept: 'application/json',
  'x-acs-signature-nonce': '0123456789abcdef',
  'x-acs-signature-method': 'HMAC-SHA1',
  'x-acs-signature-version': '1.0',
  'x-acs-version': '2021-07-01',
  'x-acs-action': 'DescribeService',
  'user-agent': 'x',
};
const request = {
  method: 'GET',
  headers,
  rawPath: '/api/v2/services/cn-pier/my%20svc',
  query: new URLSearchParams('b=2&a=x%20y&e='),
};

describe('ROA signature', () => {
  it('builds the string to sign as the tea client does', () => {
    expect(roaStringToSign(request)).toBe(
      'GET\napplication/json\n\n\nThu, 06 Feb 2020 07:32:54 GMT\n' +
        'x-acs-action:DescribeService\nx-acs-signature-method:HMAC-SHA1\nx-acs-signature-nonce:0123456789abcdef\n' +
        'x-acs-signature-version:1.0\nx-acs-version:2021-07-01\n' +
        '/api/v2/services/cn-pier/my%20svc?a=x y&b=2&e',
    );
  });

  it('signs it with HMAC-SHA1 of the secret, base64', () => {
    expect(roaSignature(roaStringToSign(request), 'secret-1')).toBe('3DJStz6R9xaAz308k3Ymijtv1OU=');
  });

  it('leaves the query out when there is none', () => {
    expect(roaStringToSign({ ...request, query: new URLSearchParams() })).toMatch(
      /\n\/api\/v2\/services\/cn-pier\/my%20svc$/,
    );
  });

  it('reads "acs <id>:<signature>" and nothing else', () => {
    expect(parseAcsAuthorization('acs pier:abc+/=')).toEqual({ accessKeyId: 'pier', signature: 'abc+/=' });
    expect(parseAcsAuthorization('Bearer token')).toBeUndefined();
    expect(parseAcsAuthorization('acs pier')).toBeUndefined();
    expect(parseAcsAuthorization(undefined)).toBeUndefined();
  });
});
