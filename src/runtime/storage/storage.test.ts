import { createServer, type Server } from 'node:http';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isPierError } from '../../errors.js';
import { createProcessRuntime } from '../process-runtime.js';
import { makeSpec, tempDir } from '../../../test/support/runtime.js';
import type { ContainerSpec, Metadata, StorageSpec } from '../../spec/index.js';
import type { PierRuntimeConfig, RunningInstance } from '../types.js';
import { findNfsMount } from './nfs.js';
import { parseOssPath } from './oss.js';

const started: RunningInstance[] = [];
const cleanups: (() => void)[] = [];

afterEach(async () => {
  await Promise.all(started.splice(0).map((i) => i.stop(0)));
  for (const c of cleanups.splice(0)) c();
});

function setup(config: Partial<PierRuntimeConfig> = {}) {
  const d = tempDir();
  cleanups.push(d.remove);
  const full: PierRuntimeConfig = { home: join(d.path, 'home'), ...config };
  return { root: d.path, runtime: createProcessRuntime({ config: full, exitPollMs: 100 }) };
}

let n = 0;
async function run(
  s: ReturnType<typeof setup>,
  container: Partial<ContainerSpec>,
  storage: StorageSpec[] = [],
  metadata: Partial<Metadata> = {},
  id = `s-${++n}`,
) {
  const logDir = join(s.root, 'logs', id);
  const workDir = join(s.root, 'work', id);
  const instance = await s.runtime.start({
    service: 'svc',
    revision: 1,
    instanceId: id,
    spec: { ...makeSpec([{ port: 8000, ...container }], metadata), storage },
    logDir,
    workDir,
  });
  started.push(instance);
  const log = () =>
    existsSync(join(logDir, 'instance.log')) ? readFileSync(join(logDir, 'instance.log'), 'utf8') : '';
  return { instance, workDir, log };
}

describe('storage (process runtime)', () => {
  it('a local and an empty_dir mount are visible to the app under mounts/<n> and PIER_MOUNT_<n>', async () => {
    const s = setup();
    const models = join(s.root, 'models');
    mkdirSync(models);
    writeFileSync(join(models, 'weights.txt'), 'w1\n');
    const script = [
      'cat mounts/0/weights.txt',
      'echo scratch > "$PIER_MOUNT_1/x"',
      'cat "$PIER_MOUNT_1/x"',
      'echo "mounts=$PIER_MOUNTS"',
    ].join('\n');
    const { instance, workDir, log } = await run(s, { script }, [
      { mount_path: '/models', local: { path: models, readOnly: true } },
      { mount_path: '/scratch', empty_dir: {} },
    ]);
    expect((await instance.exited).reason).toBe('Completed');
    const text = log();
    expect(text).toContain('w1\nscratch\n');
    expect(text).toContain(
      `mounts=${JSON.stringify({ '/models': join(workDir, 'mounts/0'), '/scratch': join(workDir, 'mounts/1') })}`,
    );
    expect(readFileSync(join(workDir, 'empty_dir/1/x'), 'utf8')).toBe('scratch\n');
  });

  it('a local path that does not exist is a StartError naming the field', async () => {
    const s = setup();
    const { instance } = await run(s, { command: 'true' }, [
      { mount_path: '/m', local: { path: '/nonexistent/pier', readOnly: false } },
    ]);
    expect(await instance.exited).toMatchObject({
      reason: 'StartError',
      message: expect.stringContaining('storage[0].local.path "/nonexistent/pier" is not an existing directory'),
    });
  });

  it('oss without configuration says how to configure it', async () => {
    const s = setup();
    const { instance, log } = await run(s, { command: 'true' }, [
      { mount_path: '/m', oss: { path: 'oss://b/p/', readOnly: true } },
    ]);
    const exit = await instance.exited;
    expect(exit.reason).toBe('StartError');
    expect(exit.message).toMatch(
      /^storage\[0\]\.oss \(oss:\/\/b\/p\/\): no S3-compatible endpoint is configured; set oss.endpoint/,
    );
    expect(log()).toContain('[pier] storage[0].oss');
  });

  it('oss syncs the prefix from an S3-compatible endpoint, and refreshes on the next start', async () => {
    const objects: Record<string, string> = { 'models/a.txt': 'A1', 'models/sub/b.txt': 'B1', 'other/c.txt': 'C' };
    const server = await fakeS3('bucket', objects);
    cleanups.push(() => server.close());
    const port = (server.address() as { port: number }).port;
    const s = setup({ oss: { endpoint: `http://127.0.0.1:${port}`, accessKeyId: 'k', secretAccessKey: 's' } });
    const storage: StorageSpec[] = [{ mount_path: '/models', oss: { path: 'oss://bucket/models/', readOnly: true } }];
    const first = await run(s, { script: 'cat mounts/0/a.txt mounts/0/sub/b.txt; ls mounts/0' }, storage);
    expect((await first.instance.exited).reason).toBe('Completed');
    expect(first.log()).toContain('A1B1a.txt\nsub\n');
    objects['models/a.txt'] = 'A2';
    delete objects['models/sub/b.txt'];
    const second = await run(s, { script: 'cat mounts/0/a.txt; ls mounts/0/sub' }, storage);
    expect((await second.instance.exited).reason).toBe('Completed');
    expect(second.log()).toContain('A2');
    expect(second.log()).not.toContain('b.txt');
  });

  it('nfs that is not mounted is a clear StartError', async () => {
    const s = setup();
    const { instance } = await run(s, { command: 'true' }, [
      { mount_path: '/d', nfs: { server: '10.0.0.9', path: '/exports/none', readOnly: true } },
    ]);
    expect(await instance.exited).toMatchObject({
      reason: 'StartError',
      message: expect.stringMatching(/^storage\[0\]: .*10\.0\.0\.9:\/exports\/none/),
    });
  });

  it('parses oss paths and /proc/mounts', () => {
    expect(parseOssPath('oss://bkt/a/b/')).toEqual({ bucket: 'bkt', prefix: 'a/b/' });
    expect(parseOssPath('s3://x')).toBeNull();
    const mounts = 'srv:/exports/m /mnt/m nfs4 rw 0 0\n/dev/sda1 / ext4 rw 0 0\n';
    expect(findNfsMount(mounts, 'srv', '/exports/m/')).toBe('/mnt/m');
    expect(findNfsMount(mounts, 'srv', '/exports/x')).toBeNull();
  });
});

describe('metadata.gpu (process runtime, fake GPU list)', () => {
  it('passes reserved GPUs as CUDA_VISIBLE_DEVICES, refuses when too few are free, frees them at exit', async () => {
    const s = setup({ gpus: ['0', '1', '2'] });
    const a = await run(s, { command: 'sleep 30' }, [], { gpu: 2 });
    const b = await run(s, { script: 'echo "gpus=$CUDA_VISIBLE_DEVICES"' }, [], { gpu: 1 });
    expect((await b.instance.exited).reason).toBe('Completed');
    expect(b.log()).toContain('gpus=2\n');
    const refused = await run(s, { command: 'true' }, [], { gpu: 2 }).catch((err: unknown) => err);
    expect(isPierError(refused) && refused.code).toBe('UNAVAILABLE');
    expect((refused as Error).message).toMatch(/^Pending: metadata.gpu is 2 but only 1 of 3 GPU\(s\) are free/);
    await a.instance.stop(0);
    const c = await run(s, { script: 'echo "gpus=$CUDA_VISIBLE_DEVICES"' }, [], { gpu: 2 });
    await c.instance.exited;
    expect(c.log()).toContain('gpus=0,1\n');
  });

  it('no GPUs on the machine: Pending with the reason', async () => {
    const s = setup({ gpus: [] });
    await expect(run(s, { command: 'true' }, [], { gpu: 1 })).rejects.toThrow(
      /^Pending: metadata.gpu is 1 but this machine has no GPUs/,
    );
  });
});

/** ListObjectsV2 and GetObject over path-style URLs; requires a SigV4 Authorization header. */
function fakeS3(bucket: string, objects: Record<string, string>): Promise<Server> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (!String(req.headers.authorization ?? '').startsWith('AWS4-HMAC-SHA256 Credential=k/')) {
      res.writeHead(403).end('<Error><Code>AccessDenied</Code></Error>');
      return;
    }
    if (url.pathname === `/${bucket}/` && url.searchParams.get('list-type') === '2') {
      const prefix = url.searchParams.get('prefix') ?? '';
      const items = Object.entries(objects)
        .filter(([k]) => k.startsWith(prefix))
        .map(([k, v]) => `<Contents><Key>${k}</Key><ETag>&quot;${v}&quot;</ETag></Contents>`);
      res.end(`<ListBucketResult><IsTruncated>false</IsTruncated>${items.join('')}</ListBucketResult>`);
      return;
    }
    const key = decodeURIComponent(url.pathname.slice(bucket.length + 2));
    if (key in objects) res.end(objects[key]);
    else res.writeHead(404).end('<Error><Code>NoSuchKey</Code></Error>');
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}
