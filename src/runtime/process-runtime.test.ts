import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { isPierError } from '../errors.js';
import { createProcessRuntime, type ProcessRuntimeOptions } from './process-runtime.js';
import { createProcfs } from './procfs.js';
import { groupGone, makeSpec, tempDir } from '../../test/support/runtime.js';
import type { ContainerSpec, Metadata } from '../spec/index.js';
import type { RunningInstance } from './types.js';
import { waitFor } from '../../test/support/wait.js';

const procfs = createProcfs();
const started: RunningInstance[] = [];
const dirs: { remove: () => void }[] = [];

const leftoverGroups: number[] = [];

afterEach(async () => {
  await Promise.all(started.splice(0).map((i) => i.stop(0)));
  for (const pgid of leftoverGroups.splice(0)) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const d of dirs.splice(0)) d.remove();
});

let counter = 0;
async function startInstance(
  containers: Partial<ContainerSpec>[],
  opts: ProcessRuntimeOptions & { metadata?: Partial<Metadata>; extraEnv?: Record<string, string> } = {},
) {
  const dir = tempDir();
  dirs.push(dir);
  const runtime = createProcessRuntime({ logCheckMs: 100, memoryPollMs: 200, exitPollMs: 100, ...opts });
  const logDir = join(dir.path, 'logs');
  const workDir = join(dir.path, 'work');
  const instance = await runtime.start({
    service: 'svc',
    revision: 3,
    instanceId: `i-${++counter}`,
    spec: makeSpec(containers, opts.metadata),
    logDir,
    workDir,
    extraEnv: opts.extraEnv,
  });
  started.push(instance);
  const log = () =>
    existsSync(join(logDir, 'instance.log')) ? readFileSync(join(logDir, 'instance.log'), 'utf8') : '';
  return { runtime, instance, logDir, workDir, log };
}

const nodeServer = `node -e "require('http').createServer((q, s) => s.end('hello ' + process.env.PIER_INSTANCE)).listen(process.argv[1], '127.0.0.1')" \${PORT}`;

describe('process runtime: start', () => {
  it('runs an HTTP server on the port it substitutes into the command', async () => {
    const { instance } = await startInstance([{ command: nodeServer, port: 8000 }]);
    expect(instance.host).toBe('127.0.0.1');
    expect(instance.port).toBeGreaterThan(0);
    expect(instance.pid).toBeGreaterThan(0);
    expect(Math.abs(instance.startedAt - Date.now())).toBeLessThan(60_000);
    const body = await waitFor(async () => {
      const res = await fetch(`http://127.0.0.1:${instance.port}/`);
      return res.text();
    });
    expect(body).toBe(`hello ${instance.instanceId}`);
  });

  it('passes PORT, PIER_*, the spec env and extraEnv, in the work dir', async () => {
    const { instance, log, workDir } = await startInstance(
      [{ command: 'sh -c "env; pwd"', port: 8000, env: [{ name: 'MODEL_NAME', value: 'resnet 50' }] }],
      { extraEnv: { CUDA_VISIBLE_DEVICES: '1' } },
    );
    const exit = await instance.exited;
    expect(exit).toMatchObject({ reason: 'Completed', exitCode: 0, signal: null });
    const text = log();
    expect(text).toContain(`PORT=${instance.port}\n`);
    expect(text).toContain('PIER_SERVICE=svc\n');
    expect(text).toContain(`PIER_INSTANCE=${instance.instanceId}\n`);
    expect(text).toContain('PIER_REVISION=3\n');
    expect(text).toContain('MODEL_NAME=resnet 50\n');
    expect(text).toContain('CUDA_VISIBLE_DEVICES=1\n');
    expect(text).toContain(`\n${workDir}\n`);
  });

  it('splits a command with quotes into argv without a shell', async () => {
    const { instance, log } = await startInstance([
      { command: `python3 -c "import sys; print(sys.argv[1:])" 'a b' "c d" e\\ f '$HOME' \${PORT}`, port: 8000 },
    ]);
    expect((await instance.exited).reason).toBe('Completed');
    expect(log()).toContain(`['a b', 'c d', 'e f', '$HOME', '${instance.port}']`);
  });

  it('runs a script with ; and records the exit code and the last log lines', async () => {
    const { instance, log } = await startInstance([
      { script: 'echo one; echo two >&2; echo "port $PORT"; exit 3', port: 8000 },
    ]);
    const exit = await instance.exited;
    expect(exit.reason).toBe('Error');
    expect(exit.exitCode).toBe(3);
    expect(exit.message).toMatch(/^exited with code 3; last log lines:\none\ntwo\nport \d+$/);
    expect(log()).toBe(`one\ntwo\nport ${instance.port}\n`);
  });

  it('reports a missing executable as StartError without throwing', async () => {
    const { instance } = await startInstance([{ command: 'python9 app.py', port: 8000 }]);
    expect(instance.pid).toBeUndefined();
    const exit = await instance.exited;
    expect(exit).toMatchObject({ reason: 'StartError', exitCode: null });
    expect(exit.message).toBe('executable "python9" not found (spawn ENOENT)');
    expect(await instance.stop(1)).toBe(exit);
  });

  it('reports a script whose command is not found as StartError with the shell message', async () => {
    const { instance } = await startInstance([{ script: 'no_such_command_pier', port: 8000 }]);
    const exit = await instance.exited;
    expect(exit.reason).toBe('StartError');
    expect(exit.exitCode).toBe(127);
    expect(exit.message).toMatch(/no_such_command_pier: (command )?not found/);
  });

  it('refuses an image-only spec with RUNTIME_UNSUPPORTED', async () => {
    const runtime = createProcessRuntime();
    const err = await runtime
      .start({
        service: 'svc',
        revision: 1,
        instanceId: 'x',
        spec: makeSpec([{ image: 'registry/model:1', port: 8000 }]),
        logDir: '/nonexistent/pier/logs',
        workDir: '/nonexistent/pier/work',
      })
      .catch((e: unknown) => e);
    expect(isPierError(err) && err.code).toBe('RUNTIME_UNSUPPORTED');
    expect((err as Error).message).toContain('names image "registry/model:1" but has no command or script');
    expect(runtime.kind).toBe('process');
  });

  it('runs sidecars beside the serving process, writing to the same log, and ends them with it', async () => {
    const { instance, log, logDir } = await startInstance([
      { script: 'echo "sidecar sees $PORT"; exec sleep 1000' },
      { script: 'echo serving; exec sleep 1000', port: 8000 },
    ]);
    await waitFor(() => log().includes('serving') && log().includes(`sidecar sees ${instance.port}`));
    const state = JSON.parse(readFileSync(join(logDir, 'instance.json'), 'utf8'));
    const sidecarPgid: number = state.groups[1].pid;
    expect(groupGone(sidecarPgid, procfs)).toBe(false);
    process.kill(instance.pid!, 'SIGKILL');
    const exit = await instance.exited;
    expect(exit).toMatchObject({
      reason: 'Error',
      signal: 'SIGKILL',
      message: expect.stringMatching(/^killed by signal SIGKILL/),
    });
    expect(groupGone(sidecarPgid, procfs)).toBe(true);
  });
});

describe('process runtime: stop', () => {
  it('stops a well-behaved app with SIGTERM', async () => {
    const { instance } = await startInstance([{ command: 'sleep 1000', port: 8000 }]);
    const exit = await instance.stop(10);
    expect(exit).toMatchObject({ reason: 'Killed', signal: 'SIGTERM', message: 'stopped (SIGTERM)' });
    expect(await instance.stop(10)).toBe(exit);
  });

  it('kills a SIGTERM-ignoring app after the grace period, group and all', async () => {
    const { instance } = await startInstance([{ script: "trap '' TERM; sleep 1000 & sleep 1000; wait", port: 8000 }]);
    await waitFor(() => procfs.members([instance.pid!]).length >= 3, {
      what: 'the app and its sleeps',
      timeoutMs: 5000,
    });
    const first = instance.stop(1);
    const second = instance.stop(1);
    expect(second).toBe(first);
    const exit = await first;
    expect(exit).toMatchObject({ reason: 'Killed', signal: 'SIGKILL' });
    expect(exit.message).toContain('after the 1 s grace period');
    expect(groupGone(instance.pid!, procfs)).toBe(true);
  });

  it('leaves no process of a forking app behind', async () => {
    const { instance } = await startInstance([
      { script: "trap '' TERM; for i in 1 2 3 4 5; do sleep 1000 & done; wait", port: 8000 },
    ]);
    await waitFor(() => procfs.members([instance.pid!]).length === 6, {
      what: 'five background sleeps',
      timeoutMs: 5000,
    });
    await instance.stop(0.2);
    expect(groupGone(instance.pid!, procfs)).toBe(true);
  });
});

describe('process runtime: resources', () => {
  it('kills an instance over metadata.memory and reports OOMKilled', async () => {
    const { instance, log } = await startInstance(
      [{ command: `python3 -c "import time; b = b'x' * (200 << 20); time.sleep(1000)"`, port: 8000 }],
      { metadata: { memory: 50 } },
    );
    const exit = await instance.exited;
    expect(exit.reason).toBe('OOMKilled');
    expect(exit.message).toMatch(/^memory \d+ MB over the 50 MB limit/);
    expect(log()).toContain('[pier] memory');
    expect(groupGone(instance.pid!, procfs)).toBe(true);
  });

  it('counts CPU seconds of the instance processes', async () => {
    const { instance } = await startInstance([
      {
        // Spins until it has used 0.3 s of CPU itself (process_time, not wall time), so a
        // loaded machine makes it slower, never short of the 0.2 s the test waits for.
        command: `python3 -c "import time\nwhile time.process_time() < 0.3: pass\ntime.sleep(1000)"`,
        port: 8000,
      },
    ]);
    const cpu = await waitFor(() => {
      const s = instance.cpuSeconds() ?? 0;
      return s >= 0.2 ? s : 0;
    });
    expect(cpu).toBeLessThan(60);
    await instance.stop(0);
    expect(instance.cpuSeconds()).toBeGreaterThanOrEqual(cpu);
  });

  it('keeps a flooding log bounded by rotation', async () => {
    const maxBytes = 64 * 1024;
    const { instance, logDir } = await startInstance(
      [
        {
          command: `python3 -u -c "import sys, time\nfor i in range(10**9):\n  sys.stdout.write(str(i) + ' ' + 'x' * 16000 + chr(10)); time.sleep(0.005)"`,
          port: 8000,
        },
      ],
      { logMaxBytes: maxBytes, logFiles: 2, logCheckMs: 50 },
    );
    const live = join(logDir, 'instance.log');
    // Wait until the app has written several times what the files may keep.
    await waitFor(
      () => {
        const last = readFileSync(live, 'utf8').trim().split('\n').pop() ?? '';
        return Number(last.split(' ')[0]) * 16_000 > 20 * maxBytes * 3;
      },
      { what: 'the flood', timeoutMs: 30_000 },
    );
    await instance.stop(0);
    const sizes = ['', '.1', '.2'].map((s) => statSync(live + s).size);
    expect(existsSync(`${live}.3`)).toBe(false);
    // Each file holds at most the limit plus what arrived between two checks.
    for (const size of sizes) expect(size).toBeLessThan(maxBytes + 2 * 1024 * 1024);
    expect(sizes.reduce((a, b) => a + b, 0)).toBeLessThan(20 * maxBytes * 3);
  });
});

describe('process runtime: exec', () => {
  it('runs a command in the instance environment and work dir', async () => {
    const { instance, workDir } = await startInstance([{ command: 'sleep 1000', port: 8000 }]);
    const ok = await instance.exec(['sh', '-c', 'echo "$PORT $PIER_INSTANCE $(pwd)"'], 5000);
    expect(ok).toEqual({
      exitCode: 0,
      output: `${instance.port} ${instance.instanceId} ${workDir}\n`,
      timedOut: false,
    });
    const failed = await instance.exec(['sh', '-c', 'echo bad >&2; exit 4'], 5000);
    expect(failed).toEqual({ exitCode: 4, output: 'bad\n', timedOut: false });
    const missing = await instance.exec(['no-such-probe'], 5000);
    expect(missing.exitCode).toBe(127);
    expect(missing.output).toContain('"no-such-probe" not found');
  });

  it('caps the output at 10 KiB', async () => {
    const { instance } = await startInstance([{ command: 'sleep 1000', port: 8000 }]);
    const result = await instance.exec(['sh', '-c', 'head -c 50000 /dev/zero | tr "\\0" a'], 5000);
    expect(result.exitCode).toBe(0);
    expect(result.output.length).toBe(10 * 1024);
  });

  it('kills the whole tree on timeout', async () => {
    const { instance, workDir } = await startInstance([{ command: 'sleep 1000', port: 8000 }]);
    const result = await instance.exec(['sh', '-c', 'echo $$ > probe.pid; sleep 1000 & sleep 1000'], 300);
    expect(result.timedOut).toBe(true);
    expect(result.exitCode).toBeNull();
    const pgid = Number(readFileSync(join(workDir, 'probe.pid'), 'utf8'));
    await waitFor(() => groupGone(pgid, procfs), { what: 'the probe tree to go', timeoutMs: 5000 });
  });
});

describe('process runtime: adopt', () => {
  it('re-attaches to an instance started by another runtime and can stop it, sidecars included', async () => {
    const { instance, logDir, workDir } = await startInstance([
      { command: nodeServer, port: 8000 },
      { script: "trap '' TERM; sleep 1000" },
    ]);
    await waitFor(async () => (await fetch(`http://127.0.0.1:${instance.port}/`)).ok);
    const sidecarPgid: number = JSON.parse(readFileSync(join(logDir, 'instance.json'), 'utf8')).groups[1].pid;

    const second = createProcessRuntime({ exitPollMs: 100 });
    const record = {
      instanceId: instance.instanceId,
      pid: instance.pid!,
      port: instance.port,
      startedAt: instance.startedAt,
      logDir,
    };
    const adopted = await second.adopt(record);
    expect(adopted).not.toBeNull();
    started.push(adopted!);
    expect(adopted).toMatchObject({ pid: instance.pid, port: instance.port, startedAt: instance.startedAt });
    expect(adopted!.cpuSeconds()).toBeGreaterThanOrEqual(0);
    const probe = await adopted!.exec(['sh', '-c', 'echo $PIER_INSTANCE; pwd'], 5000);
    expect(probe.output).toBe(`${instance.instanceId}\n${workDir}\n`);

    const exit = await adopted!.stop(0.5);
    expect(exit).toMatchObject({ reason: 'Killed', exitCode: null });
    expect(exit.message).toMatch(/^(stopped|killed)/);
    expect(groupGone(instance.pid!, procfs)).toBe(true);
    expect(groupGone(sidecarPgid, procfs)).toBe(true);
    expect(await second.adopt(record)).toBeNull();
  });

  it('notices that an adopted instance exited on its own', async () => {
    const { instance, logDir } = await startInstance([{ command: 'sleep 1000', port: 8000 }]);
    const second = createProcessRuntime({ exitPollMs: 100 });
    const adopted = await second.adopt({
      instanceId: instance.instanceId,
      pid: instance.pid!,
      port: instance.port,
      startedAt: instance.startedAt,
      logDir,
    });
    started.push(adopted!);
    process.kill(instance.pid!, 'SIGKILL');
    const exit = await adopted!.exited;
    expect(exit).toMatchObject({ reason: 'Error', exitCode: null, message: 'exited while not supervised' });
  });

  it('returns null for a dead pid or a reused one', async () => {
    const { instance, logDir } = await startInstance([{ command: 'sleep 1000', port: 8000 }]);
    const runtime = createProcessRuntime();
    const record = {
      instanceId: instance.instanceId,
      pid: instance.pid!,
      port: 1,
      startedAt: instance.startedAt,
      logDir,
    };
    // Same pid, different start time: another process now holds the pid.
    expect(await runtime.adopt({ ...record, startedAt: instance.startedAt - 60_000 })).toBeNull();
    await instance.stop(0);
    expect(await runtime.adopt(record)).toBeNull();
  });
});

describe('process runtime: surviving Pier', () => {
  it('keeps an instance running when the Pier process is SIGKILLed, and a new runtime adopts it', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const fixture = fileURLToPath(new URL('../../test/support/runtime-crash-fixture.ts', import.meta.url));
    const pier = spawn(process.execPath, ['--import', 'tsx', fixture, dir.path], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    pier.stdout.on('data', (d: Buffer) => (out += d.toString()));
    try {
      await waitFor(() => out.includes('\n'), { what: 'the fixture to start an instance', timeoutMs: 30_000 });
    } finally {
      pier.kill('SIGKILL');
    }
    await new Promise((r) => pier.once('exit', r));
    const record = JSON.parse(out.trim());
    const sidecarPgid: number = JSON.parse(readFileSync(join(record.logDir, 'instance.json'), 'utf8')).groups[1].pid;
    leftoverGroups.push(record.pid, sidecarPgid);
    expect(groupGone(record.pid, procfs)).toBe(false);
    expect(groupGone(sidecarPgid, procfs)).toBe(false);

    const adopted = await createProcessRuntime({ exitPollMs: 100 }).adopt(record);
    expect(adopted).not.toBeNull();
    started.push(adopted!);
    expect(readFileSync(join(record.logDir, 'instance.log'), 'utf8')).toBe('started\n');
    const exit = await adopted!.stop(1);
    expect(exit.reason).toBe('Killed');
    expect(groupGone(record.pid, procfs)).toBe(true);
    expect(groupGone(sidecarPgid, procfs)).toBe(true);
  });
});
