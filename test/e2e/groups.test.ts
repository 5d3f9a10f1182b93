/**
 * Service groups end to end (issue 17): two services name `metadata.group: "gr"`,
 * the group endpoint splits between them by custom weight and by ready instances,
 * `gr.<svc>` and `X-Pier-Service` pin a member, a weight change under 16-way load
 * fails nothing, and the group goes away with its last member.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GroupDescription, InstanceView, ServiceDescription } from '../../src/api/index.js';
import { ROLLOUT_MIX, underLoad } from '../support/load.js';
import { waitFor } from '../support/wait.js';
import { fixtureSpec, startTestPier, type TestPier, waitRunning } from './helpers.js';

const readiness = { readiness_check: { http_get: { path: '/health', port: 8000 }, period_seconds: 1 } };
const member = (name: string, instance = 1) =>
  fixtureSpec(name, {}, readiness, { instance, group: 'gr', rpc: { worker_threads: 32, keepalive: 10_000 } });

let pier: TestPier;
let group: GroupDescription;

beforeAll(async () => {
  pier = await startTestPier();
  for (const name of ['gr_a', 'gr_b']) {
    expect((await pier.api('POST', '/api/v1/services', member(name))).status).toBe(201);
  }
  await waitRunning(pier, 'gr_a');
  await waitRunning(pier, 'gr_b');
  group = (await pier.api<GroupDescription>('GET', '/api/v1/groups/gr')).body;
});
afterAll(async () => {
  await pier?.close();
});

/** Which service each instance id belongs to, read from the control API. */
async function owners(): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const name of ['gr_a', 'gr_b']) {
    const list = (await pier.api<InstanceView[]>('GET', `/api/v1/services/${name}/instances`)).body;
    for (const i of list) out.set(i.id, name);
  }
  return out;
}

/** `n` POSTs to `path` with `concurrency` in flight; returns how many each service answered. */
async function spread(
  path: string,
  n: number,
  headers: Record<string, string> = {},
  concurrency = 8,
): Promise<{ gr_a: number; gr_b: number; failed: number }> {
  const byInstance = new Map<string, number>();
  let next = 0;
  let failed = 0;
  const worker = async () => {
    while (next < n) {
      next++;
      const res = await fetch(`${pier.gatewayUrl}${path}`, {
        method: 'POST',
        headers: { authorization: group.token, ...headers },
        body: 'x',
      });
      const body = (await res.json().catch(() => ({}))) as { instance?: string };
      if (res.status !== 200 || !body.instance) failed++;
      else byInstance.set(body.instance, (byInstance.get(body.instance) ?? 0) + 1);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const who = await owners();
  const bySvc: Record<string, number> = { gr_a: 0, gr_b: 0 };
  for (const [id, count] of byInstance) {
    const svc = who.get(id) ?? 'unknown';
    bySvc[svc] = (bySvc[svc] ?? 0) + count;
  }
  return { gr_a: bySvc.gr_a!, gr_b: bySvc.gr_b!, failed: failed + (bySvc.unknown ?? 0) };
}

describe('service groups', () => {
  it('creates the group with its own token; the CLI lists and describes it', async () => {
    expect(group.token).toMatch(/.{16,}/);
    expect(group.members.map((m) => m.service)).toEqual(['gr_a', 'gr_b']);
    expect(group.endpoint).toBe(`${pier.gatewayUrl}/api/predict/gr`);
    const list = await pier.cli(['group', 'list']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/gr\s+auto\s+gr_a,gr_b/);
    const desc = await pier.cli(['group', 'desc', 'gr']);
    expect(desc.stdout).toContain(group.token);
    const member = await pier.cli(['desc', 'gr_a']);
    expect(member.stdout).toMatch(/Group:\s+gr \(/);
    // A member's own token does not open the group.
    const a = (await pier.api<ServiceDescription>('GET', '/api/v1/services/gr_a')).body;
    const res = await fetch(`${pier.gatewayUrl}/api/predict/gr`, {
      method: 'POST',
      headers: { authorization: a.token },
    });
    expect(res.status).toBe(401);
  });

  it('custom weights 80/20: 2,000 requests split within ±4 points, and desc shows the measured split', async () => {
    const set = await pier.cli(['group', 'traffic', 'gr', 'gr_a=80', 'gr_b=20']);
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toContain('custom (by weight)');
    const before = (await pier.api<GroupDescription>('GET', '/api/v1/groups/gr')).body;
    const got = await spread('/api/predict/gr', 2000);
    expect(got.failed).toBe(0);
    console.log(`80/20 split over 2000: gr_a ${got.gr_a}, gr_b ${got.gr_b}`);
    // The split is random per request: one standard deviation is √(0.8·0.2/2000) ≈ 0.9 points,
    // so ±4 points (4.5 σ) fails by chance about once in 10⁵ runs (±3 was once in ~1,300).
    expect(Math.abs(got.gr_a / 2000 - 0.8)).toBeLessThan(0.04);
    const after = (await pier.api<GroupDescription>('GET', '/api/v1/groups/gr')).body;
    const counted = (g: GroupDescription, s: string) => g.members.find((m) => m.service === s)!.requests;
    expect(counted(after, 'gr_a') - counted(before, 'gr_a')).toBe(got.gr_a);
    expect(counted(after, 'gr_b') - counted(before, 'gr_b')).toBe(got.gr_b);
    expect(after.members.map((m) => m.share)).toEqual([80, 20]);
  });

  it('gr.<svc> and X-Pier-Service pin a member, even one with weight 0 (a canary before it takes traffic)', async () => {
    await pier.api('PATCH', '/api/v1/groups/gr/traffic', { weights: { gr_a: 1000, gr_b: 0 } });
    expect(await spread('/api/predict/gr', 50)).toMatchObject({ gr_a: 50, gr_b: 0, failed: 0 });
    expect(await spread('/api/predict/gr.gr_b', 50)).toMatchObject({ gr_a: 0, gr_b: 50, failed: 0 });
    expect(await spread('/api/predict/gr', 50, { 'x-pier-service': 'gr_b' })).toMatchObject({ gr_b: 50, failed: 0 });
    const b = (await pier.api<ServiceDescription>('GET', '/api/v1/services/gr_b')).body;
    const own = await fetch(`${pier.gatewayUrl}/api/predict/gr.gr_b`, {
      method: 'POST',
      headers: { authorization: b.token },
    });
    expect(own.status).toBe(200);
    const other = await fetch(`${pier.gatewayUrl}/api/predict/gr.gr_a`, {
      method: 'POST',
      headers: { authorization: b.token },
    });
    expect(other.status).toBe(401);
  });

  it('a weight change under 16-way load fails no request', async () => {
    await pier.api('PATCH', '/api/v1/groups/gr/traffic', { weights: { gr_a: 80, gr_b: 20 } });
    const steps = [
      { weights: { gr_a: 20, gr_b: 80 } },
      { weights: { gr_a: 0, gr_b: 1000 } },
      { mode: 'auto' },
      { weights: { gr_a: 500, gr_b: 500 } },
    ];
    const result = await underLoad(
      { endpoint: `${pier.gatewayUrl}/api/predict/gr`, token: group.token, ...ROLLOUT_MIX },
      async (load) => {
        for (const step of steps) {
          const okBefore = load.result.ok;
          expect((await pier.api('PATCH', '/api/v1/groups/gr/traffic', step)).status).toBe(200);
          await waitFor(() => load.result.ok > okBefore + 100, {
            what: '100 more answers after the change',
            timeoutMs: 60_000,
          });
        }
      },
    );
    console.log(`weight changes under load: ${result.ok} ok, ${result.failed} failed, ${result.sseEvents} SSE events`);
    expect(result.failures).toEqual([]);
    expect(result.failed).toBe(0);
  });

  it('auto mode follows instance counts: 3 and 1 ready instances split about 75/25', async () => {
    await pier.cli(['group', 'traffic', 'gr', '--mode', 'auto']);
    expect((await pier.api('POST', '/api/v1/services/gr_a/scale', { instances: 3 })).status).toBe(200);
    await waitFor(
      async () => {
        const g = (await pier.api<GroupDescription>('GET', '/api/v1/groups/gr')).body;
        return g.members[0]!.ready === 3 && g.members[1]!.ready === 1 ? g : undefined;
      },
      { what: 'gr_a to have 3 ready instances', timeoutMs: 120_000 },
    );
    const g = (await pier.api<GroupDescription>('GET', '/api/v1/groups/gr')).body;
    expect(g.members.map((m) => m.share)).toEqual([75, 25]);
    const got = await spread('/api/predict/gr', 1000);
    expect(got.failed).toBe(0);
    console.log(`auto 3:1 split over 1000: gr_a ${got.gr_a}, gr_b ${got.gr_b}`);
    // σ = √(0.75·0.25/1000) ≈ 1.4 points; ±6 points is 4.4 σ.
    expect(Math.abs(got.gr_a / 1000 - 0.75)).toBeLessThan(0.06);
  });

  it('keeps group and service names apart, and removes the group with its last member', async () => {
    const clash = await pier.api<{ code: string; errors: { path: string }[] }>('POST', '/api/v1/services', {
      ...member('gr'),
    });
    expect(clash.status).toBe(409);
    expect(clash.body.errors[0]!.path).toBe('name');
    for (const name of ['gr_a', 'gr_b'])
      expect((await pier.api('DELETE', `/api/v1/services/${name}`)).status).toBe(200);
    expect((await pier.api('GET', '/api/v1/groups')).body).toEqual([]);
    expect((await pier.api<{ code: string }>('GET', '/api/v1/groups/gr')).body.code).toBe('GROUP_NOT_FOUND');
  });
});
