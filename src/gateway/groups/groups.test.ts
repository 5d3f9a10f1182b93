import type { IncomingMessage, ServerResponse } from 'node:http';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type Backend,
  call,
  type Harness,
  service,
  startBackend,
  startGateway,
} from '../../../test/support/gateway.js';
import type { GroupRoute, ServiceRoute } from '../types.js';
import { seededRandom } from '../../../test/support/random.js';
import { GROUP_TOKEN, groupRoute } from '../../../test/support/gateway.js';

/** The gateway's group endpoint over real backends: tokens, pinning, weights, affinity, 503. */

const A_TOKEN = 'a-token-0123456789';
const B_TOKEN = 'b-token-0123456789';

function named(id: string) {
  return (req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ id, url: req.url }));
  };
}

describe('group endpoint', () => {
  const backends: Backend[] = [];
  let h: Harness | undefined;
  let a: ServiceRoute;
  let b: ServiceRoute;
  const registry = new Registry();

  afterEach(async () => {
    await h?.gw.close();
    h = undefined;
    registry.clear();
    for (const x of backends.splice(0)) await x.close();
  });

  async function start(g: GroupRoute, bReady = true, random?: () => number) {
    backends.push(await startBackend(named('a1')), await startBackend(named('a2')), await startBackend(named('b1')));
    a = service('a', [backends[0]!.endpoint('a1'), backends[1]!.endpoint('a2')], { token: A_TOKEN });
    b = service('b', bReady ? [backends[2]!.endpoint('b1')] : [], { token: B_TOKEN });
    h = await startGateway([a, b], { registry, ...(random ? { random } : {}) });
    h.store.set({ version: 2, services: { a, b }, groups: { g } });
  }

  const get = async (path: string, headers: Record<string, string>) => {
    const r = await call(h!.port, path, { headers });
    return { status: r.status, body: r.body, id: r.status === 200 ? (JSON.parse(r.body).id as string) : '' };
  };

  it('routes the group token to a member, forwarding the sub-path; a member token does not open the group', async () => {
    await start(groupRoute());
    const r = await get('/api/predict/g/v1/predict?x=1', { authorization: GROUP_TOKEN });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body).url).toBe('/v1/predict?x=1');
    expect((await get('/api/predict/g', { authorization: `Bearer ${GROUP_TOKEN}` })).status).toBe(200);
    expect((await get('/api/predict/g', { authorization: A_TOKEN })).status).toBe(401);
    expect((await get('/api/predict/g', {})).status).toBe(401);
    // Members keep their own endpoints, with their own tokens only.
    expect((await get('/api/predict/a', { authorization: A_TOKEN })).status).toBe(200);
    expect((await get('/api/predict/a', { authorization: GROUP_TOKEN })).status).toBe(401);
  });

  it('pins a member by <group>.<service> and by X-Pier-Service, with the group token or that member’s own', async () => {
    await start(
      groupRoute({
        members: [
          { service: 'a', weight: 1000, standalone: false },
          { service: 'b', weight: 0, standalone: false },
        ],
      }),
    );
    for (let i = 0; i < 10; i++) {
      expect((await get('/api/predict/g.b/x', { authorization: GROUP_TOKEN })).id).toBe('b1');
      expect((await get('/api/predict/g', { authorization: GROUP_TOKEN, 'x-pier-service': 'b' })).id).toBe('b1');
    }
    expect((await get('/api/predict/g.b', { authorization: B_TOKEN })).id).toBe('b1');
    expect((await get('/api/predict/g', { authorization: B_TOKEN, 'x-pier-service': 'b' })).id).toBe('b1');
    // A member's token opens only that member.
    expect((await get('/api/predict/g.b', { authorization: A_TOKEN })).status).toBe(401);
    const missing = await get('/api/predict/g.nope', { authorization: GROUP_TOKEN });
    expect(missing.status).toBe(404);
    expect(missing.body).toContain('not in group');
  });

  it('splits by custom weight (seeded random): 80/20 over 1,000 calls within 3 points, counted per member', async () => {
    const random = seededRandom(42);
    await start(groupRoute(), true, random);
    const seen: Record<string, number> = {};
    for (let i = 0; i < 1000; i++) {
      const { id } = await get('/api/predict/g', { authorization: GROUP_TOKEN });
      const member = id.startsWith('a') ? 'a' : 'b';
      seen[member] = (seen[member] ?? 0) + 1;
    }
    expect(Math.abs(seen.a! / 1000 - 0.8)).toBeLessThan(0.03);
    expect(h!.gw.stats().groups).toEqual({ g: { a: seen.a, b: seen.b } });
    const text = await registry.metrics();
    expect(text).toContain(`pier_gateway_group_requests_total{group="g",service="a",code="200"} ${seen.a}`);
  });

  it('sends nothing to a member without a ready instance, and answers 503 when no member is ready', async () => {
    await start(
      groupRoute({
        members: [
          { service: 'a', weight: 1, standalone: false },
          { service: 'b', weight: 1000, standalone: false },
        ],
      }),
      false,
    );
    for (let i = 0; i < 20; i++) expect((await get('/api/predict/g', { authorization: GROUP_TOKEN })).id).toMatch(/^a/);
    h!.store.set({ version: 3, services: { a: { ...a, endpoints: [] }, b }, groups: { g: groupRoute() } });
    const r = await get('/api/predict/g', { authorization: GROUP_TOKEN });
    expect(r.status).toBe(503);
    expect(r.body).toContain('no healthy upstream');
    // Without the group token the answer is still 401: nothing about the members leaks.
    expect((await get('/api/predict/g', { authorization: 'nope' })).status).toBe(401);
  });

  it('auto mode weighs members by ready instances; standalone members take no group traffic', async () => {
    const random = seededRandom(7);
    await start(groupRoute({ mode: 'auto' }), true, random);
    let fromA = 0;
    for (let i = 0; i < 600; i++)
      if ((await get('/api/predict/g', { authorization: GROUP_TOKEN })).id.startsWith('a')) fromA++;
    expect(Math.abs(fromA / 600 - 2 / 3)).toBeLessThan(0.05);
    h!.store.set({
      version: 3,
      services: { a, b },
      groups: {
        g: groupRoute({
          mode: 'auto',
          members: [
            { service: 'a', weight: 0, standalone: true },
            { service: 'b', weight: 0, standalone: false },
          ],
        }),
      },
    });
    for (let i = 0; i < 20; i++) expect((await get('/api/predict/g', { authorization: GROUP_TOKEN })).id).toBe('b1');
    // Standalone is still reachable when pinned.
    expect((await get('/api/predict/g.a', { authorization: GROUP_TOKEN })).id).toMatch(/^a/);
  });

  it('affinity by header keeps a key on one member and one instance; by cookie the same', async () => {
    await start(groupRoute({ affinity: { kind: 'header', key: 'x-session' } }));
    const picks = new Map<string, Set<string>>();
    for (let k = 0; k < 40; k++) {
      for (let i = 0; i < 3; i++) {
        const { id } = await get('/api/predict/g', { authorization: GROUP_TOKEN, 'x-session': `user-${k}` });
        if (!picks.has(`user-${k}`)) picks.set(`user-${k}`, new Set());
        picks.get(`user-${k}`)!.add(id);
      }
    }
    for (const ids of picks.values()) expect(ids.size).toBe(1);
    // Different keys still use both members and both instances of a.
    const all = new Set([...picks.values()].flatMap((x) => [...x]));
    expect(all).toEqual(new Set(['a1', 'a2', 'b1']));

    h!.store.set({
      version: 3,
      services: { a, b },
      groups: { g: groupRoute({ affinity: { kind: 'cookie', key: 'sid' } }) },
    });
    const first = await get('/api/predict/g', { authorization: GROUP_TOKEN, cookie: 'other=1; sid=abc' });
    for (let i = 0; i < 10; i++) {
      expect((await get('/api/predict/g', { authorization: GROUP_TOKEN, cookie: 'sid=abc' })).id).toBe(first.id);
    }
  });

  it('a group token learns of unknown names (404), a stranger does not (401)', async () => {
    await start(groupRoute());
    expect((await get('/api/predict/nosuch', { authorization: GROUP_TOKEN })).status).toBe(404);
    expect((await get('/api/predict/nosuch', { authorization: 'stranger' })).status).toBe(401);
  });
});
