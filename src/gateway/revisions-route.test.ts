/** A route with a revision split, through a real gateway (issue 17, item 4): the pick happens per request, before the balancer. */
import { afterEach, describe, expect, it } from 'vitest';
import {
  type Backend,
  call,
  echoHandler,
  type Harness,
  service,
  startBackend,
  startGateway,
  TOKEN,
} from '../../test/support/gateway.js';
import { seededRandom } from '../../test/support/random.js';

/** A seeded generator (Numerical Recipes LCG): the split is the same on every run. */
describe('gateway revision traffic', () => {
  const backends: Backend[] = [];
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.gw.close();
    await Promise.all(backends.splice(0).map((b) => b.close()));
  });

  async function setup(traffic: { revision: number; percent: number }[], revisions: number[]) {
    const eps = [];
    for (const [n, revision] of revisions.entries()) {
      const b = await startBackend(echoHandler);
      backends.push(b);
      eps.push({ ...b.endpoint(`r${revision}-${n}`), revision });
    }
    h = await startGateway([service('svc', eps, { traffic })], { random: seededRandom(7) });
    return h;
  }

  async function countBy(n: number): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    for (let i = 0; i < n; i++) {
      const r = await call(h!.port, '/api/predict/svc/x', { headers: { authorization: TOKEN } });
      expect(r.status).toBe(200);
      const rev = String(r.headers['x-pier-instance']).split('-')[0]!;
      counts.set(rev, (counts.get(rev) ?? 0) + 1);
    }
    return counts;
  }

  it('sends each revision about its percent', async () => {
    await setup(
      [
        { revision: 1, percent: 80 },
        { revision: 2, percent: 20 },
      ],
      [1, 1, 2],
    );
    const counts = await countBy(400);
    const share = (counts.get('r2') ?? 0) / 400;
    expect(share).toBeGreaterThan(0.12);
    expect(share).toBeLessThan(0.28);
  });

  it('a revision of the split with no endpoint gives its share to the others', async () => {
    await setup(
      [
        { revision: 1, percent: 10 },
        { revision: 2, percent: 90 },
      ],
      [1],
    );
    expect(await countBy(50)).toEqual(new Map([['r1', 50]]));
  });
});
