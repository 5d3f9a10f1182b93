/**
 * Issue 13: the process and the container runtime share one GPU reservation book.
 * Before, each built its own over the same GPUs, so a GPU a process instance held
 * was handed to a container as well.
 */

import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeSpec, tempDir } from '../../../test/support/runtime.js';
import { createRealClock } from '../../clock.js';
import { isPierError } from '../../errors.js';
import type { RunningInstance } from '../../runtime/index.js';
import { createLocalRuntimes } from './runtimes.js';

const started: RunningInstance[] = [];
const dirs: { remove(): void }[] = [];

afterEach(async () => {
  await Promise.all(started.splice(0).map((i) => i.stop(1)));
  for (const d of dirs.splice(0)) d.remove();
});

describe('local runtimes: one GPU allocator', () => {
  it('never gives a GPU held by a process instance to a container instance', async () => {
    const home = tempDir();
    dirs.push(home);
    // No engine is started: the container runtime must refuse before it reaches one.
    const runtime = await createLocalRuntimes({
      choice: 'auto',
      clock: createRealClock(),
      config: { home: home.path, gpus: ['0'] },
      detect: async () => ({ engine: 'podman', binary: join(home.path, 'no-such-podman') }),
    });
    const processSpec = makeSpec([{ command: 'sleep 60', port: 8000 }], { gpu: 1 });
    const first = await runtime.start({
      service: 'svc',
      revision: 1,
      instanceId: 'svc-1-aaa',
      spec: processSpec,
      logDir: join(home.path, 'logs', 'a'),
      workDir: join(home.path, 'run', 'a'),
    });
    started.push(first);
    expect(runtime.kindFor(processSpec)).toBe('process');

    const imageSpec = makeSpec([{ image: 'registry.example.com/app:1', port: 8000 }], { gpu: 1 });
    expect(runtime.kindFor(imageSpec)).toBe('container');
    const second = runtime
      .start({
        service: 'svc',
        revision: 1,
        instanceId: 'svc-1-bbb',
        spec: imageSpec,
        logDir: join(home.path, 'logs', 'b'),
        workDir: join(home.path, 'run', 'b'),
      })
      .then((i) => {
        started.push(i);
        return i;
      });
    const err = await second.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isPierError(err) && err.code).toBe('UNAVAILABLE');
    expect((err as Error).message).toMatch(/metadata\.gpu is 1 but only 0 of 1 GPU\(s\) are free/);
  });
});
