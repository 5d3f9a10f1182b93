import { describe, expect, it } from 'vitest';
import { type Harness, service, startGateway } from '../../../test/support/gateway.js';
import {
  closeAfterEach,
  type EchoClient,
  echoClient,
  metadata,
  startGrpcBackend,
  unary,
} from '../../../test/support/grpc.js';
import type { GroupRoute, ServiceRoute } from '../types.js';
import { seededRandom } from '../../../test/support/random.js';
import { GROUP_TOKEN, groupRoute } from '../../../test/support/gateway.js';

/** Issue 17: gRPC calls addressed to a group pick a member as an HTTP call does. */

const A_TOKEN = 'a-token-0123456789';
const B_TOKEN = 'b-token-0123456789';
const UNAUTHENTICATED = 16;
const NOT_FOUND = 5;
const UNAVAILABLE = 14;

describe('group calls over gRPC (issue 17)', () => {
  const { backends, clients, track } = closeAfterEach();
  let h: Harness | undefined;
  let a: ServiceRoute;
  let b: ServiceRoute;

  async function start(g: GroupRoute, random?: () => number, over: Partial<ServiceRoute> = {}) {
    const [a1, a2, b1] = [await startGrpcBackend('a1'), await startGrpcBackend('a2'), await startGrpcBackend('b1')];
    backends.push(a1, a2, b1);
    a = service('a', [a1.endpoint(), a2.endpoint()], { token: A_TOKEN, enableGrpc: true });
    b = service('b', [b1.endpoint()], { token: B_TOKEN, enableGrpc: true, ...over });
    h = track(await startGateway([a, b], random ? { random } : {}));
    h.store.set({ version: 2, services: { a, b }, groups: { g } });
  }

  const client = (authority?: string): EchoClient => {
    const c = echoClient(h!.port, authority);
    clients.push(c);
    return c;
  };

  /** The instance that answered, or the status code of the error. */
  const who = async (c: EchoClient, md: Record<string, string>): Promise<string | number> => {
    const r = await unary(c, { say: 'hi' }, metadata(md));
    return r.err ? (r.err.code ?? -1) : String(r.value!.instance);
  };

  it('the group token opens the group named by metadata or :authority; a member token or none does not', async () => {
    await start(groupRoute());
    const plain = client();
    expect(await who(plain, { authorization: GROUP_TOKEN, 'x-pier-service': 'g' })).toMatch(/^[ab]/);
    expect(await who(plain, { authorization: `Bearer ${GROUP_TOKEN}`, 'x-eas-service': 'g' })).toMatch(/^[ab]/);
    expect(await who(client('g.pier.local:9000'), { authorization: GROUP_TOKEN })).toMatch(/^[ab]/);
    expect(await who(plain, { authorization: A_TOKEN, 'x-pier-service': 'g' })).toBe(UNAUTHENTICATED);
    expect(await who(plain, { 'x-pier-service': 'g' })).toBe(UNAUTHENTICATED);
    // Members keep their own names, with their own tokens only.
    expect(await who(plain, { authorization: A_TOKEN, 'x-pier-service': 'a' })).toMatch(/^a/);
    expect(await who(plain, { authorization: GROUP_TOKEN, 'x-pier-service': 'a' })).toBe(UNAUTHENTICATED);
  });

  it('pins by x-pier-service <group>.<service>, or x-pier-service under a group named otherwise; 404 for a non-member', async () => {
    await start(
      groupRoute({
        members: [
          { service: 'a', weight: 1000, standalone: false },
          { service: 'b', weight: 0, standalone: true },
        ],
      }),
    );
    const plain = client();
    const byAuthority = client('g.pier.local');
    for (let i = 0; i < 5; i++) {
      expect(await who(plain, { authorization: GROUP_TOKEN, 'x-pier-service': 'g.b' })).toBe('b1');
      expect(await who(plain, { authorization: GROUP_TOKEN, 'x-eas-service': 'g', 'x-pier-service': 'b' })).toBe('b1');
      expect(await who(byAuthority, { authorization: GROUP_TOKEN, 'x-pier-service': 'b' })).toBe('b1');
      expect(await who(plain, { authorization: GROUP_TOKEN, 'x-pier-service': 'g' })).toMatch(/^a/);
    }
    expect(await who(plain, { authorization: B_TOKEN, 'x-pier-service': 'g.b' })).toBe('b1');
    expect(await who(byAuthority, { authorization: B_TOKEN, 'x-pier-service': 'b' })).toBe('b1');
    // A member's token opens only that member.
    expect(await who(plain, { authorization: A_TOKEN, 'x-pier-service': 'g.b' })).toBe(UNAUTHENTICATED);
    expect(await who(plain, { authorization: B_TOKEN, 'x-pier-service': 'g' })).toBe(UNAUTHENTICATED);
    const missing = await unary(
      plain,
      { say: 1 },
      metadata({ authorization: GROUP_TOKEN, 'x-pier-service': 'g.nope' }),
    );
    expect(missing.err?.code).toBe(NOT_FOUND);
    expect(missing.err?.details).toContain('not in group');
    expect(await who(byAuthority, { authorization: GROUP_TOKEN, 'x-pier-service': 'nope' })).toBe(NOT_FOUND);
  });

  it('splits 200 calls 80/20 by weight (seeded random), counted per member for the group', async () => {
    await start(groupRoute(), seededRandom(42));
    const c = client();
    const seen: Record<string, number> = { a: 0, b: 0 };
    for (let i = 0; i < 200; i++) {
      const id = await who(c, { authorization: GROUP_TOKEN, 'x-pier-service': 'g' });
      expect(id).toMatch(/^[ab]/);
      seen[String(id).slice(0, 1)]!++;
    }
    expect(Math.abs(seen.a! / 200 - 0.8)).toBeLessThan(0.08);
    expect(h!.gw.stats().groups).toEqual({ g: { a: seen.a, b: seen.b } });
  });

  it('affinity metadata keeps a key on one member and one instance', async () => {
    await start(groupRoute({ affinity: { kind: 'header', key: 'x-session' } }));
    const c = client();
    const ids = new Set<string | number>();
    for (let k = 0; k < 30; k++) {
      const picks = new Set<string | number>();
      for (let i = 0; i < 3; i++) {
        picks.add(await who(c, { authorization: GROUP_TOKEN, 'x-pier-service': 'g', 'x-session': `u-${k}` }));
      }
      expect(picks.size).toBe(1);
      for (const id of picks) ids.add(id);
    }
    expect(ids).toEqual(new Set(['a1', 'a2', 'b1']));
  });

  it('an unpinned call skips a member without enable_grpc; pinned, it is NOT_FOUND', async () => {
    await start(
      groupRoute({
        members: [
          { service: 'a', weight: 1, standalone: false },
          { service: 'b', weight: 1000, standalone: false },
        ],
      }),
      undefined,
      { enableGrpc: false },
    );
    const c = client();
    for (let i = 0; i < 10; i++)
      expect(await who(c, { authorization: GROUP_TOKEN, 'x-pier-service': 'g' })).toMatch(/^a/);
    const pinned = await unary(c, { say: 1 }, metadata({ authorization: GROUP_TOKEN, 'x-pier-service': 'g.b' }));
    expect(pinned.err?.code).toBe(NOT_FOUND);
    expect(pinned.err?.details).toContain('does not enable gRPC');
  });

  it('is UNAVAILABLE when no member has a ready instance, and UNAUTHENTICATED to a stranger', async () => {
    await start(groupRoute());
    h!.store.set({
      version: 3,
      services: { a: { ...a, endpoints: [] }, b: { ...b, endpoints: [] } },
      groups: { g: groupRoute() },
    });
    const c = client();
    const r = await unary(c, { say: 1 }, metadata({ authorization: GROUP_TOKEN, 'x-pier-service': 'g' }));
    expect(r.err?.code).toBe(UNAVAILABLE);
    expect(r.err?.details).toContain('no healthy upstream');
    expect(await who(c, { authorization: 'nope', 'x-pier-service': 'g' })).toBe(UNAUTHENTICATED);
    // A group token learns of unknown names; a stranger does not.
    expect(await who(c, { authorization: GROUP_TOKEN, 'x-pier-service': 'nosuch' })).toBe(NOT_FOUND);
    expect(await who(c, { authorization: 'stranger', 'x-pier-service': 'nosuch' })).toBe(UNAUTHENTICATED);
  });
});
