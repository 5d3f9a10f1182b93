/**
 * Revision traffic inside a service (issue 17, item 4): under 16 concurrent
 * clients, `pier modify NAME -s new.json --traffic 10` starts revision 2 next to
 * revision 1 with about 10% of the requests, `pier traffic NAME 1=50 2=50` evens
 * it out, `pier promote NAME 2` sends it everything; no request fails, and
 * revision 1's instances drain and are gone.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InstanceView, ServiceDescription } from '../../src/api/index.js';
import { type LoadResult, type RunningLoad, startLoad } from '../support/load.js';
import { pidOf } from '../support/instance.js';
import { waitFor } from '../support/wait.js';
import { fixtureSpec, isRunning, startTestPier, type TestPier } from './helpers.js';

let pier: TestPier;
let svc: ServiceDescription;
let load: RunningLoad | undefined;
const name = 'canary';

const readiness = { readiness_check: { http_get: { path: '/health', port: 8000 }, period_seconds: 1 } };
const metadata = { instance: 2, eas: { termination_grace_period: 30 }, rpc: { worker_threads: 32, keepalive: 10_000 } };

beforeAll(async () => {
  pier = await startTestPier();
  const spec = fixtureSpec(name, { MODEL: 'v1' }, readiness, metadata);
  expect((await pier.api('POST', '/api/v1/services', spec)).status).toBe(201);
  svc = await waitFor(
    async () => {
      const d = await describeSvc();
      return d.status === 'Running' && d.instances.ready === 2 ? d : undefined;
    },
    { what: 'the service to be Running', timeoutMs: 120_000 },
  );
});
afterAll(async () => {
  await load?.stop();
  await pier?.close();
});

async function describeSvc(): Promise<ServiceDescription> {
  return (await pier.api<ServiceDescription>('GET', `/api/v1/services/${name}`)).body;
}

async function instances(): Promise<InstanceView[]> {
  return (await pier.api<InstanceView[]>('GET', `/api/v1/services/${name}/instances`)).body;
}

/** Requests answered since `before`, by revision (instance ids are `<service>-<revision>-<suffix>`). */
function answersSince(r: LoadResult, before: Record<string, number>): Map<number, number> {
  const out = new Map<number, number>();
  for (const [instance, n] of Object.entries(r.byInstance)) {
    const revision = Number(/^canary-(\d+)-/.exec(instance)?.[1] ?? 0);
    out.set(revision, (out.get(revision) ?? 0) + n - (before[instance] ?? 0));
  }
  return out;
}

/** Waits until `n` more requests were answered than when called. */
async function moreAnswers(n: number): Promise<Record<string, number>> {
  const result = load!.result;
  const start = result.ok;
  const before = { ...result.byInstance };
  await waitFor(() => result.ok >= start + n, { what: `${n} more answers`, timeoutMs: 120_000 });
  return before;
}

describe('revision traffic', () => {
  it('a canary at 10% then promoted: 0 failed requests, the old revision drained and gone', async () => {
    load = startLoad({ endpoint: svc.endpoint, token: svc.token, concurrency: 16, slowEvery: 25 });
    await waitFor(() => load!.result.ok > 50, { what: 'load to flow', timeoutMs: 60_000 });

    // The canary: revision 2 (MODEL=v2) next to revision 1, with 10% of the traffic.
    const file = path.join(pier.home, 'new.json');
    // A partial spec: lists replace, so it gives the whole container list.
    writeFileSync(file, JSON.stringify({ containers: fixtureSpec(name, { MODEL: 'v2' }, readiness).containers }));
    const modified = await pier.cli(['modify', name, '-s', file, '--traffic', '10', '--no-wait']);
    expect(modified.stderr).toBe('');
    expect(modified.code).toBe(0);
    expect(modified.stdout).toContain(`pier promote ${name} 2`);
    const split = await waitFor(
      async () => {
        const d = await describeSvc();
        const canary = d.traffic.find((t) => t.revision === 2);
        return d.status === 'Running' && canary && canary.readyInstances >= 1 ? d : undefined;
      },
      { what: 'revision 2 to be ready next to revision 1', timeoutMs: 120_000 },
    );
    expect(split.revision).toBe(1);
    expect(split.traffic.map((t) => [t.revision, t.percent])).toEqual([
      [1, 90],
      [2, 10],
    ]);
    // ceil(2 × 90%) = 2 of revision 1, at least 1 of revision 2.
    const both = await instances();
    expect(both.filter((i) => i.revision === 1)).toHaveLength(2);
    expect(both.filter((i) => i.revision === 2)).toHaveLength(1);
    const desc = await pier.cli(['desc', name]);
    expect(desc.stdout).toMatch(/^ {2}2 +10% +1$/m);

    // About 10% of the answers come from revision 2.
    const before = await moreAnswers(1500);
    const counts = answersSince(load.result, before);
    const total = (counts.get(1) ?? 0) + (counts.get(2) ?? 0);
    const share = ((counts.get(2) ?? 0) / total) * 100;
    expect(total).toBeGreaterThanOrEqual(1000);
    expect(share).toBeGreaterThan(5);
    expect(share).toBeLessThan(18);

    // 50/50: ceil(2 × 50%) = 1 instance each, so revision 1 scales down under load.
    const old = both.filter((i) => i.revision === 1);
    const halves = await pier.cli(['traffic', name, '1=50', '2=50']);
    expect(halves.stderr).toBe('');
    expect(halves.code).toBe(0);
    await waitFor(
      async () => {
        const list = await instances();
        const one = (r: number) => list.filter((i) => i.revision === r && i.ready).length === 1;
        return list.length === 2 && one(1) && one(2) ? list : undefined;
      },
      { what: 'one instance of each revision', timeoutMs: 120_000 },
    );
    const evenBefore = await moreAnswers(600);
    const even = answersSince(load.result, evenBefore);
    const evenShare = ((even.get(2) ?? 0) / ((even.get(1) ?? 0) + (even.get(2) ?? 0))) * 100;
    expect(evenShare).toBeGreaterThan(30);
    expect(evenShare).toBeLessThan(70);

    // Promote: revision 2 takes everything; revision 1's instances drain and go.
    const promoted = await pier.cli(['promote', name, '2']);
    expect(promoted.stderr).toBe('');
    expect(promoted.code).toBe(0);
    await waitFor(
      async () => {
        const d = await describeSvc();
        const list = await instances();
        return d.status === 'Running' && d.revision === 2 && list.length === 2 && list.every((i) => i.revision === 2)
          ? d
          : undefined;
      },
      { what: "revision 1's instances to be gone", timeoutMs: 120_000 },
    );
    await waitFor(() => old.every((i) => !isRunning(pidOf(i))), {
      what: "revision 1's processes to exit",
      timeoutMs: 60_000,
    });
    expect((await describeSvc()).traffic).toEqual([{ revision: 2, percent: 100, readyInstances: 2 }]);

    // Every answer now comes from revision 2.
    const after = await moreAnswers(300);
    const late = answersSince(load.result, after);
    expect(late.get(1) ?? 0).toBe(0);
    expect(late.get(2)).toBeGreaterThanOrEqual(300);

    const r = await load.stop();
    load = undefined;
    expect(r.failures).toEqual([]);
    expect(r.failed).toBe(0);
  });
});
