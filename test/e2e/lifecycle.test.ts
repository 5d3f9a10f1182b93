/**
 * A user's path through the CLI: create, desc, ls, events, modify (scale only
 * and new revision), version, stop/start, delete; plus faults that must end in
 * a clear status instead of a hang.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InstanceView, ServiceDescription } from '../../src/api/index.js';
import type { EventRecord } from '../../src/store/index.js';
import { fixtureSpec, isRunning, repoRoot, startTestPier, type TestPier } from './helpers.js';
import { waitFor } from '../support/wait.js';
import { pidOf } from '../support/instance.js';

let pier: TestPier;
beforeAll(async () => {
  pier = await startTestPier();
});
afterAll(async () => {
  await pier?.close();
});

const example = path.join(repoRoot, 'examples/python-classifier/service.json');

async function desc(name: string): Promise<ServiceDescription> {
  const r = await pier.cli(['desc', name, '-o', 'json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

describe('the pier CLI against a real server', () => {
  it('creates the Python example, waits for Running and serves a prediction', async () => {
    const r = await pier.cli(['create', example]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('[Total: 2');
    expect(r.stdout).toMatch(/Running: 2/);
    const d = await desc('iris_classifier');
    expect(d).toMatchObject({ name: 'iris_classifier', status: 'Running', revision: 1 });
    expect(d.instances).toEqual({ total: 2, pending: 0, running: 2, ready: 2 });
    expect(r.stdout).toContain(d.token);
    expect(d.endpoint).toBe(`${pier.gatewayUrl}/api/predict/iris_classifier`);

    const res = await fetch(d.endpoint, {
      method: 'POST',
      headers: { authorization: d.token },
      body: readFileSync(path.join(repoRoot, 'examples/python-classifier/example-request.json')),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { predictions: { label: string }[] };
    expect(body.predictions[0].label).toBe('setosa');
  });

  it('runs two instances side by side on their own ports', async () => {
    const r = await pier.cli(['w', 'iris_classifier', '-o', 'json']);
    const instances = JSON.parse(r.stdout) as InstanceView[];
    expect(instances).toHaveLength(2);
    const ports = new Set(instances.map((i) => i.address));
    expect(ports.size).toBe(2);
    expect(instances.every((i) => i.state === 'Running' && i.ready)).toBe(true);
  });

  it('lists services and events as JSON and YAML', async () => {
    const ls = await pier.cli(['ls', '-o', 'json']);
    expect(JSON.parse(ls.stdout)).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'iris_classifier', status: 'Running' })]),
    );
    const yaml = await pier.cli(['ls', '-o', 'yaml']);
    expect(yaml.stdout).toContain('name: iris_classifier');
    const ev = JSON.parse((await pier.cli(['events', 'iris_classifier', '-o', 'json'])).stdout) as EventRecord[];
    const reasons = ev.map((e) => e.reason);
    expect(reasons).toEqual(expect.arrayContaining(['Created', 'Scheduled', 'Started', 'Ready', 'ServiceRunning']));
  });

  it('a kill -9 of one instance brings it back', async () => {
    const before = (await pier.api<InstanceView[]>('GET', '/api/v1/services/iris_classifier/instances')).body;
    const victim = before[0];
    expect(pidOf(victim)).toBeGreaterThan(0);
    process.kill(pidOf(victim), 'SIGKILL');
    const back = await waitFor(
      async () => {
        const list = (await pier.api<InstanceView[]>('GET', '/api/v1/services/iris_classifier/instances')).body;
        const same = list.find((i) => i.id === victim.id);
        return same && same.restarts === 1 && same.ready ? same : undefined;
      },
      { what: 'the instance to restart and be ready', timeoutMs: 60_000 },
    );
    expect(back.lastState?.signal).toBe('SIGKILL');
  });

  it('modify -D metadata.instance=3 scales without a new revision', async () => {
    const r = await pier.cli(['modify', 'iris_classifier', '-D', 'metadata.instance=3']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    await waitFor(async () => (await desc('iris_classifier')).instances.ready === 3, {
      what: '3 ready',
      timeoutMs: 60_000,
    });
    const d = await desc('iris_classifier');
    expect(d.revision).toBe(1);
    expect(d.revisions).toHaveLength(1);
  });

  it('modify -s makes a new revision and rolls it out; version rolls back', async () => {
    const patch = path.join(pier.home, 'patch.json');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(patch, JSON.stringify({ containers: [{ env: [{ name: 'MODEL_VERSION', value: 'v2' }] }] }));
    // Lists replace: the patch must carry the whole container.
    const current = await desc('iris_classifier');
    const container = { ...current.spec.containers[0], env: [{ name: 'MODEL_VERSION', value: 'v2' }] };
    writeFileSync(patch, JSON.stringify({ containers: [container] }));
    const r = await pier.cli(['modify', 'iris_classifier', '-s', patch]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    await waitFor(
      async () => {
        const d = await desc('iris_classifier');
        return d.revision === 2 && d.status === 'Running';
      },
      { what: 'revision 2 running', timeoutMs: 90_000 },
    );
    const instances = (await pier.api<InstanceView[]>('GET', '/api/v1/services/iris_classifier/instances')).body;
    expect(instances.map((i) => i.revision)).toEqual([2, 2, 2]);
    const d = await desc('iris_classifier');
    expect(d.revisions.map((x) => x.number)).toEqual([1, 2]);
    expect(d.revisions[1].summary).toContain('MODEL_VERSION');

    const back = await pier.cli(['version', 'iris_classifier', '1']);
    expect(back.code, back.stderr).toBe(0);
    await waitFor(
      async () => {
        const x = await desc('iris_classifier');
        const list = (await pier.api<InstanceView[]>('GET', '/api/v1/services/iris_classifier/instances')).body;
        return x.revision === 1 && x.status === 'Running' && list.every((i) => i.revision === 1);
      },
      { what: 'revision 1 running again', timeoutMs: 90_000 },
    );
  });

  it('stop and start', async () => {
    expect((await pier.cli(['stop', 'iris_classifier'])).code).toBe(0);
    await waitFor(async () => (await desc('iris_classifier')).status === 'Stopped', {
      what: 'Stopped',
      timeoutMs: 60_000,
    });
    expect((await desc('iris_classifier')).instances.total).toBe(0);
    expect((await pier.cli(['start', 'iris_classifier'])).code).toBe(0);
    await waitFor(async () => (await desc('iris_classifier')).status === 'Running', {
      what: 'Running',
      timeoutMs: 60_000,
    });
  });

  it('delete -y removes the service; deleting it again is a 404 naming it', async () => {
    const r = await pier.cli(['delete', 'iris_classifier', '-y']);
    expect(r.code, r.stderr).toBe(0);
    const again = await pier.cli(['delete', 'iris_classifier', '-y']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('iris_classifier');
    const res = await pier.api('DELETE', '/api/v1/services/iris_classifier');
    expect(res.status).toBe(404);
  });
});

describe('faults end in a clear status', () => {
  it('a command that does not exist fails create with the error, not a hang', async () => {
    const spec = fixtureSpec('no_such_cmd', {}, { command: 'python9 /nowhere/app.py' });
    const file = path.join(pier.home, 'bad.json');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(file, JSON.stringify(spec));
    const r = await pier.cli(['create', file]);
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toContain('python9');
    const d = await desc('no_such_cmd');
    expect(d.status).toBe('Failed');
    await pier.cli(['delete', 'no_such_cmd', '-y']);
  });

  it('an app that never opens its port is not ready, with the probe reason', async () => {
    await pier.api('POST', '/api/v1/services', fixtureSpec('no_port', { LISTEN_DELAY_MS: 600_000 }));
    const d = await waitFor(
      async () => {
        const list = (await pier.api<InstanceView[]>('GET', '/api/v1/services/no_port/instances')).body;
        return list[0]?.probes.readiness?.result === 'failure' ? list[0] : undefined;
      },
      { what: 'a readiness failure', timeoutMs: 60_000 },
    );
    expect(d.ready).toBe(false);
    expect(d.probes.readiness?.message).toMatch(/refused|connect/i);
    const s = (await pier.api<ServiceDescription>('GET', '/api/v1/services/no_port')).body;
    expect(s.status).toBe('Creating');
    expect(s.message).toMatch(/0 of 1/);
    await pier.api('DELETE', '/api/v1/services/no_port');
  });

  it('an app that ignores SIGTERM is killed at the grace period', async () => {
    await pier.api(
      'POST',
      '/api/v1/services',
      fixtureSpec('stubborn', { IGNORE_SIGTERM: 1 }, {}, { eas: { termination_grace_period: 1 } }),
    );
    await waitFor(
      async () => (await pier.api<ServiceDescription>('GET', '/api/v1/services/stubborn')).body.status === 'Running',
      { what: 'ready', timeoutMs: 60_000 },
    );
    const [inst] = (await pier.api<InstanceView[]>('GET', '/api/v1/services/stubborn/instances')).body;
    const pid = pidOf(inst!);
    expect(isRunning(pid)).toBe(true);
    const t0 = Date.now();
    const res = await pier.api('DELETE', '/api/v1/services/stubborn');
    expect(res.status).toBe(200);
    // The delete returned, so the process is gone although it ignored SIGTERM, and only after the grace period.
    expect(isRunning(pid), `pid ${pid} still running`).toBe(false);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1000);
  });

  it('rejects an invalid spec with every error and its path', async () => {
    const res = await pier.api<{ code: string; errors: { path: string }[] }>('POST', '/api/v1/services', {
      name: '9bad',
      metadata: { instance: -1 },
      containers: [{ port: 8080 }],
    });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('SPEC_INVALID');
    expect(res.body.errors.map((e) => e.path)).toEqual(
      expect.arrayContaining(['name', 'metadata.instance', 'containers[0].port']),
    );
  });
});
