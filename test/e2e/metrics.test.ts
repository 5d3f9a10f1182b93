/**
 * Issue 15: on a real Pier, rollouts (every instance replaced, new ids) do
 * not grow the number of Prometheus series, and the controller's and the
 * build's series are there.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { InstanceView, ServiceDescription } from '../../src/api/index.js';
import { waitFor } from '../support/wait.js';
import { fixtureSpec, startTestPier, type TestPier } from './helpers.js';

let pier: TestPier;
beforeAll(async () => {
  pier = await startTestPier();
});
afterAll(() => pier?.close());

const scrape = async () => (await fetch(`${pier.controlUrl}/metrics`)).text();
const series = (text: string) => text.split('\n').filter((l) => l.startsWith('pier_'));

async function serve(d: ServiceDescription, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const res = await fetch(`${d.endpoint}/`, { method: 'POST', headers: { authorization: d.token }, body: 'x' });
    expect(res.status).toBe(200);
    await res.arrayBuffer();
  }
}

async function settled(previous: string[]): Promise<string[]> {
  return waitFor(
    async () => {
      const ids = (await pier.api<InstanceView[]>('GET', '/api/v1/services/churn/instances')).body;
      const d = (await pier.api<ServiceDescription>('GET', '/api/v1/services/churn')).body;
      const fresh = ids.every((i) => i.ready && !previous.includes(i.id));
      return d.status === 'Running' && ids.length === 2 && fresh && ids.map((i) => i.id);
    },
    { what: 'a finished rollout', timeoutMs: 90_000 },
  );
}

it('a rollout does not grow the number of series', async () => {
  const created = await pier.api('POST', '/api/v1/services', fixtureSpec('churn', {}, {}, { instance: 2 }));
  expect(created.status).toBe(201);
  let ids = await settled([]);
  const d = (await pier.api<ServiceDescription>('GET', '/api/v1/services/churn')).body;
  await serve(d, 20);
  const before = series(await scrape());
  expect(before.some((l) => l.includes(`instance="${ids[0]}"`))).toBe(true);
  for (let round = 0; round < 3; round++) {
    expect((await pier.api('POST', '/api/v1/services/churn/restart', {})).status).toBe(200);
    const old = ids;
    ids = await settled(old);
    await serve(d, 20);
    const text = await scrape();
    for (const id of old) expect(text).not.toContain(`instance="${id}"`);
    // Events counters gain reasons (Killing, Restarting) in the first round; instance series stay as many.
    const perInstance = (lines: string[]) =>
      lines.filter((l) => l.includes('instance="') && !l.includes('instance=""'));
    expect(perInstance(series(text)).length).toBe(perInstance(before).length);
  }
  const text = await scrape();
  expect(text).toMatch(/pier_build_info\{version="[^"]+",node="[^"]+",role="server"\} 1/);
  expect(text).toContain('pier_service_desired_instances{service="churn"} 2');
  expect(text).toContain('pier_service_ready_instances{service="churn"} 2');
  expect(text).toMatch(/pier_controller_events_total\{service="churn",type="Normal",reason="Restarting"\} 3/);
  expect(text).toContain('process_resident_memory_bytes');
});
