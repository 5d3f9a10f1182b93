/**
 * The PAI Python SDK (alipai from PyPI, unchanged) against Pier (issue 16):
 * `Predictor(name)` and `AsyncPredictor(name)` find the service with the EAS
 * OpenAPI's DescribeService on the control port, signed with Pier's AccessKey
 * pair, then call the gateway with the service's token; the async one puts on
 * the input queue and polls the sink by request id. A wrong secret gives the
 * tea client's ClientException SignatureDoesNotMatch.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createService, fixtureSpec, type SdkService, startSdkPier, type TestPier } from '../harness.js';
import { hasPaiPython, paiPython, runPai } from './pai.js';

const KEY = { accessKeyId: 'LTAI-pier-test', accessKeySecret: 'pai-sdk-test-secret-0123456789' };
let pier: TestPier;
let sync: SdkService;
let queued: SdkService;

beforeAll(async () => {
  if (!hasPaiPython()) return; // each test then fails, naming setup.sh
  pier = await startSdkPier({ openApiKey: KEY });
  const labelled = { ...fixtureSpec('paisync'), labels: { team: 'ml' } };
  [sync, queued] = await Promise.all([
    createService(pier, labelled),
    createService(pier, fixtureSpec('paiasync', {}, {}, { type: 'Async' })),
  ]);
}, 180_000);
afterAll(async () => {
  await pier?.close();
});

const run = (mode: string, service: string, secret = KEY.accessKeySecret) =>
  runPai([mode, pier.controlUrl, KEY.accessKeyId, secret, service], { timeoutMs: 100_000 });

type Described = { status: string; endpoint: string; intranet: string; token: string; config: { name: string } };
type Echo = { path: string; body: string };

describe('PAI SDK (alipai)', () => {
  it('Predictor(name) describes the service, then predict and raw_predict go through the gateway', async () => {
    paiPython();
    const { result: r } = await run('sync', 'paisync');
    const service = r.service as Described;
    expect(service).toMatchObject({
      status: 'Running',
      endpoint: sync.endpoint,
      intranet: sync.endpoint,
      token: sync.token,
    });
    expect(service.config.name).toBe('paisync');
    expect(r.service).toMatchObject({ labels: { team: 'ml' } });
    // predict: JsonSerializer both ways; the fixture app echoes what it got.
    expect(r.predicted).toMatchObject({ path: '/', body: '{"features": [5.1, 3.5]}' });
    expect(r.raw).toMatchObject({ status: 200, body: { path: '/v1/echo', body: 'raw-bytes' } });
    expect(await sync.gatewayRequests()).toBeGreaterThanOrEqual(2);
  });

  it('AsyncPredictor(name).predict puts on the queue and polls the sink for the answer', async () => {
    paiPython();
    const { result: r } = await run('async', 'paiasync');
    expect(r.service as Described).toMatchObject({ status: 'Running', endpoint: queued.endpoint, token: queued.token });
    expect((r.service as { config: { metadata: { type: string } } }).config.metadata.type).toBe('Async');
    // The instance answered the queued request; the SDK read it from the sink by request id.
    expect(r.predicted as Echo).toMatchObject({ path: '/', body: '{"prompt": "a cat"}' });
    expect(r.raw).toMatchObject({ status: 200, body: { path: '/', body: 'raw-async' } });
  });

  it('a wrong AccessKey secret gives the SDK ClientException SignatureDoesNotMatch', async () => {
    paiPython();
    const { result: r } = await run('badkey', 'paisync', 'not-the-secret');
    expect(r).toMatchObject({
      raised: 'alibabacloud_tea_openapi.exceptions._client.ClientException',
      code: 'SignatureDoesNotMatch',
      status: 400,
    });
    expect(r.message).toContain('Specified signature is not matched with our calculation');
  });
});
