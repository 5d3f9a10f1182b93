import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.js';
import { PierError } from '../errors.js';
import { roaSignature, roaStringToSign } from './acs-signature.js';
import { type ApiServer, createApiServer } from './api-server.js';
import { openApiKeyFromEnv } from './eas-openapi-auth.js';
import { createFakeControl, fakeDescription } from '../../test/support/fake-control.js';

const ADMIN = 'admin-secret-token';
const KEY = { accessKeyId: 'LTAI-pier', accessKeySecret: 'open-sesame' };
let api: ApiServer | undefined;
let base = '';
let clock: ManualClock;
let nonce = 0;

async function start(openApiKey: typeof KEY | null = KEY) {
  clock = new ManualClock(Date.parse('2024-05-01T12:00:00Z'));
  const control = createFakeControl({
    describe: (name) => {
      if (name !== 'demo') throw new PierError('SERVICE_NOT_FOUND', `service "${name}" not found`);
      return fakeDescription('demo', {
        spec: { name: 'demo', metadata: { type: 'Async', cpu: 2, gpu: 0 }, labels: { team: 'ml' } } as never,
        revision: 2,
        revisions: [
          { number: 1, createdAt: 1, summary: 'a', current: false },
          { number: 3, createdAt: 2, summary: 'b', current: false },
        ],
      });
    },
  });
  api = createApiServer({ control, adminToken: ADMIN, clock, ...(openApiKey ? { openApiKey } : {}) });
  base = `http://127.0.0.1:${await api.listen(0, '127.0.0.1')}`;
}

afterEach(async () => {
  await api?.close();
  api = undefined;
});

/** Signs and sends a DescribeService as the tea client does. */
function describeService(
  name: string,
  opts: { secret?: string; id?: string; date?: Date; nonce?: string; authorization?: string } = {},
) {
  const rawPath = `/api/v2/services/cn-test/${encodeURIComponent(name)}`;
  const headers: Record<string, string> = {
    date: (opts.date ?? new Date(clock.now())).toUTCString(),
    accept: 'application/json',
    'x-acs-signature-nonce': opts.nonce ?? `nonce-${++nonce}`,
    'x-acs-signature-method': 'HMAC-SHA1',
    'x-acs-signature-version': '1.0',
    'x-acs-version': '2021-07-01',
    'x-acs-action': 'DescribeService',
  };
  const sig = roaSignature(
    roaStringToSign({ method: 'GET', headers, rawPath, query: new URLSearchParams() }),
    opts.secret ?? KEY.accessKeySecret,
  );
  headers.authorization = opts.authorization ?? `acs ${opts.id ?? KEY.accessKeyId}:${sig}`;
  return fetch(`${base}${rawPath}`, { headers });
}

describe('EAS OpenAPI DescribeService', () => {
  it("answers EAS's Service object for a signed call", async () => {
    await start();
    const res = await describeService('demo');
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      ServiceName: 'demo',
      Region: 'cn-test',
      Status: 'Running',
      InternetEndpoint: 'http://127.0.0.1:8080/api/predict/demo',
      IntranetEndpoint: 'http://127.0.0.1:8080/api/predict/demo',
      AccessToken: 'token-of-demo',
      CurrentVersion: 2,
      LatestVersion: 3,
      Cpu: 2,
      Labels: [{ LabelKey: 'team', LabelValue: 'ml' }],
      CreateTime: '2023-11-14T22:13:20Z',
    });
    expect(JSON.parse(body.ServiceConfig as string)).toMatchObject({ metadata: { type: 'Async' } });
    expect(body.RequestId).toBe(res.headers.get('x-acs-request-id'));
  });

  it('refuses a wrong secret with SignatureDoesNotMatch and the server string to sign', async () => {
    await start();
    const res = await describeService('demo', { secret: 'wrong' });
    expect(res.status).toBe(400);
    const body = (await res.json()) as Record<string, string>;
    expect(body).toMatchObject({ Code: 'SignatureDoesNotMatch', code: 'OPENAPI_SIGNATURE' });
    expect(body.Message).toContain('server string to sign is:GET\napplication/json');
    expect(body.RequestId).toMatch(/^[0-9A-F-]{36}$/);
  });

  it.each([
    ['an unknown AccessKey id', () => ({ id: 'someone-else' }), 'InvalidAccessKeyId.NotFound'],
    ['no acs header', () => ({ authorization: 'Bearer admin-secret-token' }), 'IncompleteSignature'],
    ['a Date 16 minutes old', () => ({ date: new Date(clock.now() - 16 * 60_000) }), 'InvalidTimeStamp.Expired'],
  ])('refuses %s', async (_what, opts, code) => {
    await start();
    const res = await describeService('demo', opts());
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ Code: code, code: 'OPENAPI_SIGNATURE' });
  });

  it('refuses a replayed nonce, and forgets it after the window', async () => {
    await start();
    expect((await describeService('demo', { nonce: 'n1' })).status).toBe(200);
    const again = await describeService('demo', { nonce: 'n1' });
    expect(await again.json()).toMatchObject({ Code: 'SignatureNonceUsed' });
    clock.advance(31 * 60_000);
    expect((await describeService('demo', { nonce: 'n1' })).status).toBe(200);
  });

  it('answers an unknown service 404 InvalidService.NotFound', async () => {
    await start();
    const res = await describeService('nope');
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ Code: 'InvalidService.NotFound', code: 'SERVICE_NOT_FOUND' });
  });

  it('defaults to AccessKey id "pier" with the admin token as secret', async () => {
    await start(null);
    const res = await describeService('demo', { id: 'pier', secret: ADMIN });
    expect(res.status).toBe(200);
  });

  it('takes the pair from PIER_OPENAPI_ACCESS_KEY_ID/SECRET, both or neither', () => {
    expect(openApiKeyFromEnv({})).toBeUndefined();
    expect(openApiKeyFromEnv({ PIER_OPENAPI_ACCESS_KEY_ID: 'a', PIER_OPENAPI_ACCESS_KEY_SECRET: 'b' })).toEqual({
      accessKeyId: 'a',
      accessKeySecret: 'b',
    });
    expect(() => openApiKeyFromEnv({ PIER_OPENAPI_ACCESS_KEY_ID: 'a' })).toThrow(/both/);
  });
});
