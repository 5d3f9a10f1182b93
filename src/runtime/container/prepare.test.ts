/**
 * storage, prepare and GPUs in the container runtime, against real podman and the
 * busybox test image (which has no python: the install itself is covered by the
 * failure path and by a pre-built cache directory).
 */

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { requirementsHash } from '../prepare/index.js';
import { READY_MARKER } from '../prepare/venv.js';
import { makeSpec, tempDir } from '../../../test/support/runtime.js';
import type { PierRuntimeConfig, RunningInstance, StartRequest } from '../types.js';
import { buildRuns } from './args.js';
import { createContainerRuntime } from './runtime.js';
import { ensureTestImage, TEST_IMAGE } from './test-image.js';

const dir = tempDir('pier-cprep-');
const config: PierRuntimeConfig = { home: join(dir.path, 'home'), pip: { noIndex: true } };
const runtime = createContainerRuntime({ config });
const started: RunningInstance[] = [];
let seq = 0;

beforeAll(async () => {
  await ensureTestImage();
}, 120_000);

afterEach(async () => {
  await Promise.all(started.splice(0).map((i) => i.stop(0)));
});

afterAll(() => dir.remove());

async function run(spec: StartRequest['spec']) {
  const instanceId = `cprep-${process.pid}-${++seq}`;
  const logDir = join(dir.path, instanceId, 'log');
  const inst = await runtime.start({
    service: 'svc',
    revision: 1,
    instanceId,
    spec,
    logDir,
    workDir: join(dir.path, instanceId, 'work'),
  });
  started.push(inst);
  const exit = await inst.exited;
  return { exit, log: readFileSync(join(logDir, 'instance.log'), 'utf8') };
}

describe('container runtime: storage, prepare, GPUs', () => {
  it('a local and an empty_dir (memory) mount are visible at their mount_path', async () => {
    const models = join(dir.path, 'models');
    mkdirSync(models, { recursive: true });
    writeFileSync(join(models, 'weights.txt'), 'w1\n');
    const spec = {
      ...makeSpec([
        {
          image: TEST_IMAGE,
          port: 8000,
          script:
            'cat /models/weights.txt; echo s > /scratch/x && cat /scratch/x; grep " /scratch " /proc/mounts | cut -d" " -f3',
        },
      ]),
      storage: [
        { mount_path: '/models', local: { path: models, readOnly: true } },
        { mount_path: '/scratch', empty_dir: { medium: 'memory' as const } },
      ],
    };
    const { exit, log } = await run(spec);
    expect(exit.reason).toBe('Completed');
    expect(log).toContain('w1\ns\ntmpfs\n');
  }, 60_000);

  it('prepare in an image without python is a StartError with the engine output', async () => {
    const spec = makeSpec([{ image: TEST_IMAGE, port: 8000, command: 'true', prepare: { pythonRequirements: ['x'] } }]);
    const { exit, log } = await run(spec);
    expect(exit.reason).toBe('StartError');
    expect(exit.message).toMatch(
      /^prepare containers\[0\]: pip install in the image failed \(exit code \d+\); last lines:\n/,
    );
    expect(log).toContain('[pier] prepare containers[0]: pip install in localhost/pier-test-busybox:1');
  }, 60_000);

  it('a cached install is mounted at /pier/pydeps with PYTHONPATH', async () => {
    const hash = requirementsHash({ lines: ['tinypkg'] }, 'python3', config.pip, TEST_IMAGE);
    const cached = join(config.home, 'pydeps', hash);
    mkdirSync(join(cached, 'tinypkg'), { recursive: true });
    writeFileSync(join(cached, 'tinypkg', '__init__.py'), 'X = 1\n');
    writeFileSync(join(cached, READY_MARKER), '');
    const spec = makeSpec([
      {
        image: TEST_IMAGE,
        port: 8000,
        script: 'echo "pp=$PYTHONPATH"; ls /pier/pydeps/tinypkg',
        prepare: { pythonRequirements: ['tinypkg'] },
      },
    ]);
    const { exit, log } = await run(spec);
    expect(exit.reason).toBe('Completed');
    expect(log).toContain(`[pier] prepare containers[0]: reusing ${cached}`);
    expect(log).toContain('pp=/pier/pydeps\n__init__.py\n');
  }, 60_000);

  it('GPUs become CDI devices (podman) or --gpus (docker) on the serving container', () => {
    const spec = makeSpec([{ image: 'img', port: 8000 }, { image: 'side' }]);
    const ctx = { service: 's', revision: 1, instanceId: 'i', hostPort: 1, gpus: ['1', '3'] };
    const podman = buildRuns(spec, { ...ctx, engine: 'podman' });
    const docker = buildRuns(spec, { ...ctx, engine: 'docker' });
    if (typeof podman === 'string' || typeof docker === 'string') throw new Error('unexpected');
    expect(podman[0].args.join(' ')).toContain('--device nvidia.com/gpu=1 --device nvidia.com/gpu=3');
    expect(podman[1].args).not.toContain('--device');
    expect(docker[0].args).toContain('"device=1,3"');
  });

  it('too few GPUs: start throws UNAVAILABLE "Pending: …"', async () => {
    const gpuRuntime = createContainerRuntime({ config: { ...config, gpus: ['0'] } });
    const spec = makeSpec([{ image: TEST_IMAGE, port: 8000, command: 'true' }], { gpu: 2 });
    await expect(
      gpuRuntime.start({
        service: 's',
        revision: 1,
        instanceId: 'g',
        spec,
        logDir: join(dir.path, 'g'),
        workDir: join(dir.path, 'gw'),
      }),
    ).rejects.toMatchObject({ code: 'UNAVAILABLE', message: expect.stringMatching(/^Pending: metadata.gpu is 2/) });
  });
});
