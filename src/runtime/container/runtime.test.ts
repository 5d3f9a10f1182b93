/**
 * The container runtime against real podman (apt: podman runc busybox-static),
 * with a tiny image imported locally (no registry is reachable in CI).
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readLogTail } from '../logs.js';
import { makeSpec, tempDir } from '../../../test/support/runtime.js';
import type { RunningInstance, StartRequest } from '../types.js';
import { createEngine, detectContainerEngine } from './engine.js';
import { listManaged } from './inspect.js';
import { createContainerRuntime } from './runtime.js';
import { ensureTestImage, TEST_IMAGE } from './test-image.js';
import { waitFor } from '../../../test/support/wait.js';

const runtime = createContainerRuntime();
const engine = createEngine({ kind: 'podman' });
const dir = tempDir('pier-container-');
const started: RunningInstance[] = [];
let seq = 0;

function request(spec: StartRequest['spec']): StartRequest {
  const instanceId = `ctest-${process.pid}-${++seq}`;
  return {
    service: 'svc',
    revision: 1,
    instanceId,
    spec,
    logDir: join(dir.path, instanceId, 'log'),
    workDir: join(dir.path, instanceId, 'work'),
  };
}

async function start(spec: StartRequest['spec']): Promise<{ inst: RunningInstance; req: StartRequest }> {
  const req = request(spec);
  const inst = await runtime.start(req);
  started.push(inst);
  return { inst, req };
}

const serveSpec = (extra: Parameters<typeof makeSpec>[1] = {}) =>
  makeSpec([{ image: TEST_IMAGE, port: 8000, script: 'echo serving on $PORT; exec httpd -f -p $PORT -h /www' }], extra);

async function get(port: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/`);
  return res.text();
}

beforeAll(async () => {
  expect((await runtime.available()).ok).toBe(true);
  await ensureTestImage();
}, 120_000);

afterEach(async () => {
  await Promise.all(started.splice(0).map((i) => i.stop(0)));
});

afterAll(async () => {
  const prefix = `ctest-${process.pid}-`;
  const left = (await listManaged(engine)) ?? [];
  const keep = new Set(left.filter((c) => !c.instanceId.startsWith(prefix)).map((c) => c.instanceId));
  await runtime.cleanupOrphans(keep);
  dir.remove();
});

describe('container runtime', () => {
  it('detects podman and refuses image-less specs', async () => {
    expect(await detectContainerEngine()).toEqual({ engine: 'podman', binary: 'podman' });
    await expect(runtime.start(request(makeSpec([{ command: 'x', port: 8000 }])))).rejects.toMatchObject({
      code: 'RUNTIME_UNSUPPORTED',
    });
    const missing = createContainerRuntime({ binary: '/nonexistent/podman' });
    expect((await missing.available()).ok).toBe(false);
  });

  it('serves through the published port, execs inside, logs to instance.log and stops with grace', async () => {
    const { inst, req } = await start(serveSpec());
    expect(inst.host).toBe('127.0.0.1');
    expect(await waitFor(() => get(inst.port), { what: 'http', timeoutMs: 20_000 })).toBe('hello from pier\n');
    const ok = await inst.exec(['sh', '-c', 'echo $PORT $PIER_INSTANCE'], 10_000);
    expect(ok).toMatchObject({ exitCode: 0, timedOut: false });
    expect(ok.output.trim()).toBe(`8000 ${req.instanceId}`);
    expect((await inst.exec(['false-command'], 10_000)).exitCode).not.toBe(0);
    await waitFor(async () => (await readLogTail(req.logDir, 10)).includes('serving on 8000'), {
      what: 'log line',
      timeoutMs: 10_000,
    });
    expect(inst.cpuSeconds()).toBeGreaterThanOrEqual(0);
    const state = JSON.parse(readFileSync(join(req.logDir, 'container.json'), 'utf8'));
    expect(state.containerPort).toBe(8000);

    const info = await inst.stop(5);
    expect(info.reason).toBe('Killed');
    expect(await inst.stop(5)).toBe(info);
    expect(await listManaged(engine, req.instanceId)).toEqual([]);
  });

  it('kills an exec probe that times out, inside the container too', async () => {
    const { inst } = await start(serveSpec());
    const r = await inst.exec(['sleep', '300'], 500);
    expect(r.timedOut).toBe(true);
    await waitFor(async () => !(await inst.exec(['ps'], 10_000)).output.includes('sleep 300'), {
      what: 'exec gone',
      timeoutMs: 10_000,
    });
  });

  it('records the exit code and the last log lines of a container that exits 3', async () => {
    const { inst } = await start(makeSpec([{ image: TEST_IMAGE, port: 8000, script: 'echo going down; exit 3' }]));
    const info = await inst.exited;
    expect(info).toMatchObject({ exitCode: 3, reason: 'Error' });
    expect(info.message).toContain('exited with code 3');
    expect(info.message).toContain('going down');
  });

  it('reports a command missing from the image as StartError', async () => {
    const { inst } = await start(makeSpec([{ image: TEST_IMAGE, port: 8000, command: 'no-such-binary --flag' }]));
    const info = await inst.exited;
    expect(info.reason).toBe('StartError');
    expect(info.message).toContain('could not be started');
  });

  it('reports OOMKilled when the memory limit is enforced', async () => {
    const { inst } = await start(
      makeSpec([{ image: TEST_IMAGE, port: 8000, command: 'dd if=/dev/zero of=/dev/null bs=64M count=1' }], {
        memory: 16,
      }),
    );
    const info = await inst.exited;
    // Where cgroups cannot enforce memory limits, dd completes (exit 0): nothing to report then.
    if (info.exitCode === 0) expect(info.reason).toBe('Completed');
    else expect(info).toMatchObject({ reason: 'OOMKilled', exitCode: 137 });
  });

  it('reports ImagePullBackOff without leaking dockerAuth', async () => {
    const password = 'pw-Zq81-secret';
    const dockerAuth = Buffer.from(`bob:${password}`).toString('base64');
    const spec = { ...serveSpec(), dockerAuth };
    spec.containers[0].image = 'registry.invalid.example/pier/missing:1';
    const { inst, req } = await start(spec);
    const info = await inst.exited;
    expect(info.reason).toBe('StartError');
    expect(info.message.startsWith('ImagePullBackOff:')).toBe(true);
    expect(info.message).toContain('registry.invalid.example/pier/missing:1');
    const log = await readLogTail(req.logDir, 50);
    for (const text of [info.message, log]) {
      expect(text).not.toContain(password);
      expect(text).not.toContain(dockerAuth);
    }
  });

  it('runs sidecars in the serving container network namespace', async () => {
    const spec = makeSpec([
      { image: TEST_IMAGE, port: 8000, script: 'exec httpd -f -p 8000 -h /www' },
      { image: TEST_IMAGE, script: 'exec httpd -f -p 9000 -h /www' },
    ]);
    const { inst, req } = await start(spec);
    const r = await waitFor(
      async () => {
        const out = await inst.exec(['wget', '-q', '-O', '-', 'http://127.0.0.1:9000/'], 10_000);
        return out.exitCode === 0 ? out : null;
      },
      { what: 'sidecar reachable', timeoutMs: 20_000 },
    );
    expect(r?.output).toBe('hello from pier\n');
    expect(await listManaged(engine, req.instanceId)).toHaveLength(2);
  });

  it('adopts a running container by label after a restart, and removes orphans', async () => {
    const { inst, req } = await start(serveSpec());
    await waitFor(() => get(inst.port), { what: 'http', timeoutMs: 20_000 });
    const fresh = createContainerRuntime();
    const adopted = await fresh.adopt({
      instanceId: req.instanceId,
      pid: inst.pid ?? 0,
      port: 1,
      startedAt: inst.startedAt,
      logDir: req.logDir,
    });
    expect(adopted).not.toBeNull();
    started.push(adopted as RunningInstance);
    expect(adopted?.port).toBe(inst.port);
    expect(await get(adopted?.port ?? 0)).toBe('hello from pier\n');
    expect(await fresh.adopt({ ...req, pid: 0, port: 0, startedAt: 0, instanceId: 'ctest-none' })).toBeNull();

    const orphan = await start(serveSpec());
    const others = ((await listManaged(engine)) ?? []).map((c) => c.instanceId);
    await fresh.cleanupOrphans(new Set(others.filter((id) => id !== orphan.req.instanceId)));
    expect((await orphan.inst.exited).reason).not.toBe('Completed');
    expect(await listManaged(engine, orphan.req.instanceId)).toEqual([]);
    expect(await listManaged(engine, req.instanceId)).toHaveLength(1);
  });
});
