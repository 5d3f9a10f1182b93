import { createHash, createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, type Harness, service, startGateway, TOKEN } from '../support/gateway.js';
import { recordingBackend } from './support.js';

/**
 * Issue 12, defect 6: one signature (Python form, a Date in 2020) was accepted for
 * another body, for a GET and for another path. Signatures now bind the method,
 * the path and (through a signed Content-MD5) the body; `--eas-max-date-skew`
 * optionally bounds the Date.
 */

const DATE_2020 = 'Wed, 01 Jan 2020 08:00:00 GMT';

function eas(verb: string, md5: string, ctype: string, date: string, resource: string): string {
  // Stripped, as the Python SDK signs.
  const message = `${verb}\n${md5}\n${ctype}\n${date}\n${resource}`.trim();
  return `EAS ${createHmac('sha1', TOKEN).update(message).digest('base64')}`;
}

const md5 = (s: string) => createHash('md5').update(s).digest('hex');

describe('issue 12 #6: EAS signatures cannot be replayed elsewhere', () => {
  let backend: Awaited<ReturnType<typeof recordingBackend>>;
  let h: Harness;
  let strict: Harness;
  beforeAll(async () => {
    backend = await recordingBackend();
    h = await startGateway([service('svc', [backend.endpoint()])]);
    strict = await startGateway([service('svc', [backend.endpoint()])], { easMaxDateSkewSeconds: 900 });
  });
  afterAll(async () => {
    await h.gw.close();
    await strict.gw.close();
    await backend.close();
  });

  it('the original request passes, once and again (Go retries repeat it)', async () => {
    backend.seen.length = 0;
    const body = '{"x":1}';
    const headers = {
      authorization: eas('POST', md5(body), 'application/json', DATE_2020, '/api/predict/svc'),
      'content-md5': md5(body),
      'content-type': 'application/json',
      date: DATE_2020,
    };
    for (let i = 0; i < 2; i++) {
      expect((await call(h.port, '/api/predict/svc', { method: 'POST', headers, body })).status).toBe(200);
    }
    expect(backend.seen).toHaveLength(2);
  });

  it('replays for another body, another method, another path and without a signed MD5 are 401, unseen', async () => {
    backend.seen.length = 0;
    const body = '{"x":1}';
    const signedHeaders = {
      authorization: eas('POST', md5(body), 'application/json', DATE_2020, '/api/predict/svc'),
      'content-md5': md5(body),
      'content-type': 'application/json',
      date: DATE_2020,
    };
    const noMd5 = {
      authorization: eas('POST', '', 'application/json', DATE_2020, '/api/predict/svc'),
      'content-type': 'application/json',
      date: DATE_2020,
    };
    const attempts: [string, string, Record<string, string>, string | undefined][] = [
      ['another body', '/api/predict/svc', signedHeaders, '{"x":2}'],
      ['a GET', '/api/predict/svc', signedHeaders, undefined],
      ['a DELETE', '/api/predict/svc', signedHeaders, undefined],
      ['another path', '/api/predict/svc/admin/reset', signedHeaders, body],
      ['another path, GET', '/api/predict/svc/v1/models', signedHeaders, undefined],
      ['a body the signature says nothing of', '/api/predict/svc', noMd5, 'anything at all'],
    ];
    for (const [what, path, headers, sent] of attempts) {
      const method = what.includes('GET') ? 'GET' : what.includes('DELETE') ? 'DELETE' : 'POST';
      const r = await call(h.port, path, { method, headers, ...(sent === undefined ? {} : { body: sent }) });
      expect(r.status, what).toBe(401);
    }
    expect(backend.seen).toEqual([]);
  });

  it('--eas-max-date-skew rejects a Date out of the window, naming the skew, and accepts a current one', async () => {
    backend.seen.length = 0;
    const body = 'b';
    const send = (date: string) =>
      call(strict.port, '/api/predict/svc', {
        method: 'POST',
        body,
        headers: {
          authorization: eas('POST', md5(body), 'text/plain', date, '/api/predict/svc'),
          'content-md5': md5(body),
          'content-type': 'text/plain',
          date,
        },
      });
    const old = await send(DATE_2020);
    expect(old.status).toBe(401);
    expect(JSON.parse(old.body).message).toMatch(/more than the 900 s allowed \(--eas-max-date-skew\)/);
    expect(backend.seen).toEqual([]);
    expect((await send(new Date().toUTCString())).status).toBe(200);
    // Without the option the same old Date is fine (the SDKs' clocks are unreliable).
    const lax = await call(h.port, '/api/predict/svc', {
      method: 'POST',
      body,
      headers: {
        authorization: eas('POST', md5(body), 'text/plain', DATE_2020, '/api/predict/svc'),
        'content-md5': md5(body),
        'content-type': 'text/plain',
        date: DATE_2020,
      },
    });
    expect(lax.status).toBe(200);
  });
});
