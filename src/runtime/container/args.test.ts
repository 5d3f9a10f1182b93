import { describe, expect, it } from 'vitest';
import { makeSpec } from '../../../test/support/runtime.js';
import { buildRuns, containerUnsupportedReason } from './args.js';

const ctx = { engine: 'podman' as const, service: 'svc', revision: 2, instanceId: 'svc-2-abc', hostPort: 40001 };

describe('containerUnsupportedReason', () => {
  it('needs a serving container and images', () => {
    expect(containerUnsupportedReason(makeSpec([{ image: 'a' }]))).toMatch(/no container has a "port"/);
    expect(containerUnsupportedReason(makeSpec([{ command: 'x', port: 8000 }]))).toBe(
      'the container runtime runs images; this spec has none',
    );
    expect(containerUnsupportedReason(makeSpec([{ image: 'a', port: 8000 }, { command: 'x' }]))).toMatch(
      /containers\[1\] has no image/,
    );
    expect(containerUnsupportedReason(makeSpec([{ image: 'a', port: 8000 }]))).toBeNull();
  });
});

describe('buildRuns', () => {
  it('publishes the port, labels, limits and overrides the entrypoint', () => {
    const spec = makeSpec(
      [{ image: 'img:1', port: 8000, command: 'python3 app.py --port $PORT', env: [{ name: 'A', value: 'b' }] }],
      {
        cpu: 2,
        memory: 512,
      },
    );
    const runs = buildRuns(spec, ctx);
    if (typeof runs === 'string') throw new Error(runs);
    const args = runs[0].args;
    expect(runs[0].name).toBe('pier-svc-2-abc');
    expect(args).toContain('--init');
    expect(args.join(' ')).toContain('-p 127.0.0.1:40001:8000');
    for (const l of ['pier.managed=true', 'pier.service=svc', 'pier.instance=svc-2-abc', 'pier.revision=2']) {
      expect(args).toContain(l);
    }
    for (const e of ['A=b', 'PORT=8000', 'PIER_SERVICE=svc', 'PIER_INSTANCE=svc-2-abc', 'PIER_REVISION=2']) {
      expect(args).toContain(e);
    }
    expect(args.join(' ')).toContain('--cpus 2 --memory 512m');
    expect(args.slice(-7)).toEqual(['--entrypoint', 'python3', '--', 'img:1', 'app.py', '--port', '8000']);
  });

  it('runs a script with /bin/sh -c and joins sidecars to the serving network', () => {
    const spec = makeSpec([{ image: 'side' }, { image: 'img', port: 8000, script: 'serve ${PORT}' }]);
    const runs = buildRuns(spec, ctx);
    if (typeof runs === 'string') throw new Error(runs);
    expect(runs.map((r) => r.path)).toEqual(['containers[1]', 'containers[0]']);
    expect(runs[0].args.slice(-5)).toEqual(['/bin/sh', '--', 'img', '-c', 'serve 8000']);
    expect(runs[1].args.join(' ')).toContain('--network container:pier-svc-2-abc');
    expect(runs[1].args.join(' ')).not.toContain('-p ');
    expect(runs[1].args.at(-1)).toBe('side');
  });
});
