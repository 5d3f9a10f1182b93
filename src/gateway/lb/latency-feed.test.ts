import { afterEach, describe, expect, it } from 'vitest';
import {
  type Backend,
  call,
  type Harness,
  service,
  startBackend,
  startGateway,
  TOKEN,
} from '../../../test/support/gateway.js';
import type { Endpoint, LbPolicy } from '../types.js';
import { pickEndpoint } from './p2c.js';

/** The gateway feeds its policy one sample per answered request: time from sending to the response's headers. */
describe('latency samples from the proxy', () => {
  const backends: Backend[] = [];
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.gw.close();
    h = undefined;
    for (const b of backends.splice(0)) await b.close();
  });

  it('records each answer under the instance that gave it, at least as long as the instance took', async () => {
    const HOLD_MS = 50;
    const answer = (delayMs: number) => (_req: unknown, res: import('node:http').ServerResponse) => {
      setTimeout(() => res.end('ok'), delayMs);
    };
    backends.push(await startBackend(answer(0)), await startBackend(answer(HOLD_MS)));
    const samples: [string, number][] = [];
    const policy: LbPolicy = Object.assign(
      (c: readonly Endpoint[], o: (id: string) => number, r: () => number) => pickEndpoint(c, o, r),
      { record: (id: string, rttMs: number) => void samples.push([id, rttMs]) },
    );
    h = await startGateway([service('two', [backends[0]!.endpoint('fast'), backends[1]!.endpoint('slow')])], {
      policy,
    });
    const seen: string[] = [];
    for (let i = 0; i < 20 && new Set(seen).size < 2; i++) {
      const r = await call(h.port, '/api/predict/two/x', { headers: { authorization: TOKEN } });
      expect(r.status).toBe(200);
      seen.push(String(r.headers['x-pier-instance']));
    }
    expect(new Set(seen)).toEqual(new Set(['fast', 'slow']));
    expect(samples.map(([id]) => id)).toEqual(seen);
    for (const [id, rtt] of samples) {
      if (id === 'slow') expect(rtt).toBeGreaterThanOrEqual(HOLD_MS - 1);
      expect(rtt).toBeGreaterThanOrEqual(0);
    }
  });

  it('takes no sample when the service has one instance (nothing to choose)', async () => {
    backends.push(await startBackend((_req, res) => res.end('ok')));
    let samples = 0;
    const policy: LbPolicy = Object.assign(
      (c: readonly Endpoint[], o: (id: string) => number, r: () => number) => pickEndpoint(c, o, r),
      { record: () => void samples++ },
    );
    h = await startGateway([service('one', [backends[0]!.endpoint('only')])], { policy });
    for (let i = 0; i < 3; i++) {
      expect((await call(h.port, '/api/predict/one/x', { headers: { authorization: TOKEN } })).status).toBe(200);
    }
    expect(samples).toBe(0);
  });
});
