/**
 * Issue 12, defect 3: `pier delete NAME -y && pier create NAME.json` must end with
 * the new incarnation Running and nothing left of the old one. Before the fix the
 * create answered 201 "Deleting, 1 instance(s) still stopping", the service stayed
 * Creating and Terminating ghosts piled up.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InstanceView, ServiceDescription } from '../../src/api/index.js';
import { fixtureSpec, isRunning, startTestPier, type TestPier } from '../e2e/helpers.js';
import { waitFor } from '../support/wait.js';
import { pidOf } from '../support/instance.js';

let pier: TestPier;
let dir: string;
beforeAll(async () => {
  pier = await startTestPier();
  dir = mkdtempSync(path.join(tmpdir(), 'pier-hostile-dc-'));
});
afterAll(async () => {
  await pier?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const CYCLES = 5;

async function instances(name: string): Promise<InstanceView[]> {
  const r = await pier.api<InstanceView[]>('GET', `/api/v1/services/${name}/instances`);
  expect(r.status).toBe(200);
  return r.body;
}

/** Running with exactly `desired` ready instances, none Terminating, none of `old`. */
async function settledFresh(name: string, desired: number, old: Set<string>, oldPids: number[]) {
  const list = await waitFor(
    async () => {
      const d = await pier.api<ServiceDescription>('GET', `/api/v1/services/${name}`);
      if (d.status !== 200 || d.body.status !== 'Running') return undefined;
      const l = await instances(name);
      return l.length === desired && l.every((i) => i.ready && i.state === 'Running') ? l : undefined;
    },
    { what: `${name} to run ${desired} fresh instance(s)`, timeoutMs: 60_000 },
  );
  expect(list.some((i) => old.has(i.id))).toBe(false);
  expect(list.some((i) => i.state === 'Terminating')).toBe(false);
  for (const pid of oldPids) expect(isRunning(pid), `old pid ${pid} still running`).toBe(false);
  return list;
}

describe('delete then create of the same name (issue 12, defect 3)', () => {
  it(`${CYCLES} quick cycles through the API leave no ghosts`, async () => {
    const name = 'dc_api';
    const spec = fixtureSpec(name, {}, {}, { instance: 2 });
    expect((await pier.api('POST', '/api/v1/services', spec)).status).toBe(201);
    let list = await settledFresh(name, 2, new Set(), []);
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      const old = new Set(list.map((i) => i.id));
      const oldPids = list.map(pidOf);
      const del = await pier.api('DELETE', `/api/v1/services/${name}`);
      expect(del.status, JSON.stringify(del.body)).toBe(200);
      const created = await pier.api<{ service: ServiceDescription }>('POST', '/api/v1/services', spec);
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      expect(created.body.service.status).not.toBe('Deleting');
      list = await settledFresh(name, 2, old, oldPids);
    }
  });

  it('a create sent while the delete is still stopping waits for it, then starts the new incarnation', async () => {
    const name = 'dc_slow';
    // Ignores SIGTERM: the delete takes the whole grace period (2 s) before SIGKILL.
    const spec = fixtureSpec(name, { IGNORE_SIGTERM: 1 });
    expect((await pier.api('POST', '/api/v1/services', spec)).status).toBe(201);
    const list = await settledFresh(name, 1, new Set(), []);
    const deleting = pier.api('DELETE', `/api/v1/services/${name}`);
    await waitFor(
      async () => (await pier.api<ServiceDescription>('GET', `/api/v1/services/${name}`)).body.status === 'Deleting',
      { what: `${name} to be Deleting` },
    );
    const created = await pier.api<{ service: ServiceDescription }>('POST', '/api/v1/services', spec);
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect((await deleting).status).toBe(200);
    expect(created.body.service.status).not.toBe('Deleting');
    await settledFresh(name, 1, new Set(list.map((i) => i.id)), list.map(pidOf));
  });

  it(`${CYCLES} quick cycles of "pier delete -y && pier create" end Running`, async () => {
    const name = 'dc_cli';
    const file = path.join(dir, `${name}.json`);
    writeFileSync(file, JSON.stringify(fixtureSpec(name)));
    const first = await pier.cli(['create', file]);
    expect(first.code, first.stdout + first.stderr).toBe(0);
    let list = await settledFresh(name, 1, new Set(), []);
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      const old = new Set(list.map((i) => i.id));
      const oldPids = list.map(pidOf);
      const del = await pier.cli(['delete', name, '-y']);
      expect(del.code, del.stdout + del.stderr).toBe(0);
      const created = await pier.cli(['create', file]);
      expect(created.code, created.stdout + created.stderr).toBe(0);
      expect(created.stdout).toContain(`Service ${name} is Running.`);
      list = await settledFresh(name, 1, old, oldPids);
    }
  });
});
