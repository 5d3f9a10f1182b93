import { afterEach, describe, expect, it } from 'vitest';
import type { InstanceView, ServiceDescription } from '../api/index.js';
import { fakeDescription } from '../../test/support/fake-control.js';
import { type Harness, startHarness } from '../../test/support/cli.js';

let h: Harness;
afterEach(() => h?.close());

const SPEC = { name: 'svc', metadata: { instance: 2 }, containers: [{ command: 'python3 app.py', port: 8000 }] };

/** describe() answers these in turn, then repeats the last one. */
function sequence(steps: Partial<ServiceDescription>[]) {
  let i = 0;
  return (name: string) => fakeDescription(name, { desired: 2, ...steps[Math.min(i++, steps.length - 1)] });
}

describe('pier create', () => {
  it('prints endpoint and token, one progress line per change, and ends Running', async () => {
    h = await startHarness({
      describe: sequence([
        { status: 'Creating', instances: { total: 2, pending: 2, running: 0, ready: 0 } },
        { status: 'Creating', instances: { total: 2, pending: 2, running: 0, ready: 0 } },
        { status: 'Creating', instances: { total: 2, pending: 1, running: 1, ready: 1 } },
        { status: 'Running', instances: { total: 2, pending: 0, running: 2, ready: 2 } },
      ]),
    });
    const r = await h.run(['create', h.write('service.json', SPEC)]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        'Service svc created (revision 1).',
        'Endpoint: http://127.0.0.1:8080/api/predict/svc',
        'Token: token-of-svc',
        '[Total: 2, Pending: 2, Running: 0]',
        '[Total: 2, Pending: 1, Running: 1]',
        '[Total: 2, Pending: 0, Running: 2]',
        'Service svc is Running.',
        '',
      ].join('\n'),
    );
  });

  it('exits 1 for a Failed service and says why', async () => {
    const failing: InstanceView = {
      id: 'svc-abc12',
      service: 'svc',
      revision: 1,
      state: 'CrashLoopBackOff',
      ready: false,
      restarts: 3,
      address: '127.0.0.1:40001',
      startedAt: 1_700_000_000_000,
      lastState: { exitCode: 1, signal: null, reason: 'Error', message: '', finishedAt: 1_700_000_001_000 },
      probes: { readiness: { result: 'failure', message: 'HTTP probe failed with statuscode: 500', at: 1 } },
    };
    h = await startHarness({
      describe: sequence([
        { status: 'Creating', instances: { total: 1, pending: 1, running: 0, ready: 0 } },
        {
          status: 'Failed',
          reason: 'instance svc-abc12: CrashLoopBackOff',
          message: 'back-off 40s restarting failed instance',
          instances: { total: 1, pending: 1, running: 0, ready: 0 },
        },
      ]),
      instances: () => [failing],
      events: () => [
        { id: 1, service: 'svc', type: 'Normal', reason: 'Created', message: 'instance created', time: 1 },
        { id: 2, service: 'svc', type: 'Warning', reason: 'BackOff', message: 'back-off restarting', time: 2 },
      ],
      logs: async (_name, query) => {
        expect(query).toEqual({ instance: 'svc-abc12', tail: 20 });
        return 'Traceback (most recent call last):\nModuleNotFoundError: No module named flask\n';
      },
    });
    const r = await h.run(['create', h.write('service.json', SPEC)]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error: service svc failed: instance svc-abc12: CrashLoopBackOff');
    expect(r.stderr).toContain('message: back-off 40s restarting failed instance');
    expect(r.stderr).toContain('instance svc-abc12: CrashLoopBackOff');
    expect(r.stderr).toContain('last state: Error, exit code 1');
    expect(r.stderr).toContain('readiness probe: HTTP probe failed with statuscode: 500');
    expect(r.stderr).toContain('recent warnings:\n  BackOff: back-off restarting');
    expect(r.stderr).not.toContain('instance created');
    expect(r.stderr).toContain('  | ModuleNotFoundError: No module named flask');
    expect(r.stderr).toContain('hint: see "pier events svc"');
  });

  it('gives up after --timeout with exit 1 and says what it waited for', async () => {
    h = await startHarness({
      describe: sequence([{ status: 'Creating', instances: { total: 2, pending: 2, running: 0, ready: 0 } }]),
    });
    const r = await h.run(['create', h.write('service.json', SPEC), '--timeout', '0.05']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'error: timed out after 0.05 s waiting for svc to be Running (status Creating, 0/2 ready)',
    );
  });

  it('exits 2 with line and column for a file that does not parse', async () => {
    h = await startHarness();
    h.write('broken.json', '{\n  "name": "svc",\n  "containers": [}\n');
    const r = await h.run(['create', 'broken.json']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: cannot parse broken\.json\n {2}\S.*line 3, column 18/);
  });

  it('exits 2 for SPEC_INVALID from the server, listing the paths', async () => {
    h = await startHarness();
    const { PierError } = await import('../errors.js');
    h.control.create = async () => {
      throw new PierError('SPEC_INVALID', 'the spec of svc is invalid', {
        errors: [{ path: 'containers[0].port', message: 'must be 1–65535, got 70000' }],
      });
    };
    const r = await h.run(['create', h.write('service.json', SPEC), '--no-wait']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error: the spec of svc is invalid\n  containers[0].port: must be 1–65535, got 70000');
  });

  it('returns at once with --no-wait and prints JSON with -o json', async () => {
    h = await startHarness();
    const r = await h.run(['create', h.write('service.json', SPEC), '--no-wait', '-o', 'json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ name: 'svc', token: 'token-of-svc' });
    expect(r.stderr).toContain('Endpoint: ');
  });
});
