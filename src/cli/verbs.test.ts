import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import type { ModifyRequest } from '../api/index.js';
import { type Harness, startHarness } from '../../test/support/cli.js';

let h: Harness;
afterEach(() => h?.close());

const EVENTS = [
  {
    id: 7,
    service: 'demo',
    type: 'Normal' as const,
    reason: 'Started',
    message: 'instance started',
    time: 1_700_000_000_000,
    instance: 'demo-1',
  },
  {
    id: 8,
    service: 'demo',
    type: 'Warning' as const,
    reason: 'Unhealthy',
    message: 'readiness probe failed',
    time: 1_700_000_005_000,
  },
];

describe('listings', () => {
  it('desc -o json is the ServiceDescription; -o yaml the same data', async () => {
    h = await startHarness();
    const json = await h.run(['desc', 'demo', '-o', 'json']);
    expect(json.code).toBe(0);
    const d = JSON.parse(json.stdout);
    expect(d).toMatchObject({
      name: 'demo',
      status: 'Running',
      endpoint: 'http://127.0.0.1:8080/api/predict/demo',
      token: 'token-of-demo',
      revision: 1,
      instances: { total: 1, pending: 0, running: 1, ready: 1 },
    });
    const yaml = await h.run(['desc', 'demo', '-o', 'yaml']);
    expect(parseYaml(yaml.stdout)).toEqual(d);
  });

  it('desc shows a table with the token', async () => {
    h = await startHarness();
    const r = await h.run(['desc', 'demo']);
    expect(r.stdout).toMatch(/^Name: +demo$/m);
    expect(r.stdout).toMatch(/^Token: +token-of-demo$/m);
  });

  it('ls prints a table, and JSON/YAML with -o', async () => {
    h = await startHarness();
    const table = await h.run(['ls']);
    expect(table.stdout.split('\n')[0]).toMatch(/^NAME +STATUS +REVISION +INSTANCES +ENDPOINT$/);
    expect(table.stdout).toMatch(/^demo +Running +1 +1\/1 +http:\/\/127\.0\.0\.1:8080\/api\/predict\/demo$/m);
    const list = await h.run(['list', '-o', 'json']);
    expect(JSON.parse(list.stdout).map((s: { name: string }) => s.name)).toEqual(['demo']);
    const yaml = await h.run(['ls', '-o', 'yaml']);
    expect(parseYaml(yaml.stdout)[0].name).toBe('demo');
  });

  it('events passes --since/--limit and prints -o json and -o yaml', async () => {
    let seen: unknown;
    h = await startHarness({
      events: (_name, query) => {
        seen = query;
        return EVENTS;
      },
    });
    const json = await h.run(['events', 'demo', '--since', '6', '--limit', '2', '-o', 'json']);
    expect(seen).toEqual({ sinceId: 6, limit: 2 });
    expect(JSON.parse(json.stdout)).toEqual(EVENTS);
    const yaml = await h.run(['events', 'demo', '-o', 'yaml']);
    expect(parseYaml(yaml.stdout)).toEqual(EVENTS);
    const table = await h.run(['events', 'demo']);
    expect(table.stdout.split('\n')[0]).toMatch(/^TIME +TYPE +REASON +INSTANCE +MESSAGE$/);
    expect(table.stdout).toContain('2023-11-14T22:13:25Z  Warning  Unhealthy  -         readiness probe failed');
  });

  it('rejects an unknown -o format with exit 2', async () => {
    h = await startHarness();
    const r = await h.run(['ls', '-o', 'xml']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Allowed choices are table, json, yaml');
  });
});

describe('pier modify', () => {
  it('parses -D values as JSON where they parse, else strings, and reports a scale', async () => {
    let req: ModifyRequest | undefined;
    h = await startHarness();
    const describe = h.control.describe;
    h.control.modify = async (name, r) => {
      req = r;
      return { service: describe(name), newRevision: false, scaled: true, warnings: [] };
    };
    const r = await h.run([
      'modify',
      'demo',
      '-D',
      'metadata.instance=3',
      '-Dmetadata.rpc.keepalive=10000',
      '-D',
      'containers[0].command=python3 app.py --port=8000',
      '-D',
      'metadata.enable_grpc=true',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(req).toEqual({
      set: {
        'metadata.instance': 3,
        'metadata.rpc.keepalive': 10000,
        'containers[0].command': 'python3 app.py --port=8000',
        'metadata.enable_grpc': true,
      },
    });
    expect(r.stdout).toContain('Service demo: scaled to 1 instance (no new revision).');
    expect(r.stdout).toContain('Service demo is Running.');
  });

  it('sends a partial spec as patch, or as replace with --replace', async () => {
    const reqs: ModifyRequest[] = [];
    h = await startHarness();
    const describe = h.control.describe;
    h.control.modify = async (name, r) => {
      reqs.push(r);
      return { service: describe(name), newRevision: true, scaled: false, warnings: [] };
    };
    h.write('patch.json', { metadata: { rpc: { keepalive: 9000 } } });
    const a = await h.run(['modify', 'demo', '-s', 'patch.json', '--no-wait']);
    const b = await h.run(['modify', 'demo', '-s', 'patch.json', '--replace', '--no-wait']);
    expect([a.code, b.code]).toEqual([0, 0]);
    expect(reqs).toEqual([
      { patch: { metadata: { rpc: { keepalive: 9000 } } } },
      { replace: { metadata: { rpc: { keepalive: 9000 } } } },
    ]);
    expect(a.stdout).toContain('new revision 1 is rolling out');
  });

  it('exits 2 for a -D without "=" and for nothing to change', async () => {
    h = await startHarness();
    const bad = await h.run(['modify', 'demo', '-D', 'metadata.instance']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('-D expects key=value');
    const none = await h.run(['modify', 'demo']);
    expect(none.code).toBe(2);
  });
});

describe('pier delete', () => {
  it('refuses without -y when stdin is not a terminal (exit 2)', async () => {
    h = await startHarness();
    const r = await h.run(['delete', 'demo']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('pass -y');
    expect(h.control.list().map((s) => s.name)).toEqual(['demo']);
  });

  it('deletes with -y, and exits 1 naming an unknown service', async () => {
    h = await startHarness();
    const ok = await h.run(['delete', 'demo', '-y']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toBe('Service demo deleted.\n');
    const missing = await h.run(['delete', 'demo', '-y']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('error: service "demo" not found');
    expect(missing.stderr).toContain('hint: list services with "pier ls"');
  });
});

describe('other verbs', () => {
  it('scale, version, stop and start call the API; bad numbers exit 2', async () => {
    h = await startHarness();
    expect((await h.run(['scale', 'demo', '3', '-o', 'json'])).stdout).toContain('"desired": 3');
    expect((await h.run(['scale', 'demo', 'three'])).code).toBe(2);
    expect((await h.run(['version', 'demo', '1'])).code).toBe(0);
    const missing = await h.run(['version', 'demo', '9']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('pier revisions NAME');
    expect((await h.run(['stop', 'demo'])).stdout).toContain('Stopping demo: Stopped');
    expect((await h.run(['start', 'demo'])).code).toBe(0);
    const revs = await h.run(['revisions', 'demo']);
    expect(revs.stdout).toMatch(/^1 +\S+ +yes +initial$/m);
  });

  it('logs prints the tail; -f streams until the signal aborts', async () => {
    h = await startHarness({
      followLogs: async (_name, _q, onChunk, signal) => {
        onChunk('live 1\n');
        await new Promise<void>((r) => signal.addEventListener('abort', () => r(), { once: true }));
      },
    });
    const tail = await h.run(['logs', 'demo', '--tail', '2']);
    expect(tail.stdout).toBe('line 1\nline 2\n');
    const abort = new AbortController();
    const r = await h.run(['logs', 'demo', '-f'], {
      signal: abort.signal,
      onStdout: (text) => {
        if (text.includes('live 1\n')) abort.abort();
      },
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('line 1\nline 2\nlive 1\n');
  });
});

describe('errors', () => {
  it('exits 1 with a hint to start the server when nothing listens', async () => {
    h = await startHarness();
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const r = await h.run(['ls'], { env: { PIER_CONTROL_URL: `http://127.0.0.1:${port}` } });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `error: cannot reach the Pier control plane at http://127.0.0.1:${port} — start it with "pier server"\n`,
    );
  });

  it('exits 1 with a hint when the admin token is wrong', async () => {
    h = await startHarness();
    const r = await h.run(['ls'], { env: { PIER_ADMIN_TOKEN: 'wrong' } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error: wrong admin token');
    expect(r.stderr).toContain('hint: set PIER_ADMIN_TOKEN');
  });

  it('reads the admin token from PIER_HOME/admin-token', async () => {
    h = await startHarness();
    h.write('admin-token', 'cli-test-admin-token\n');
    const r = await h.run(['ls'], { env: { PIER_ADMIN_TOKEN: '', PIER_HOME: h.dir } });
    expect(r.code).toBe(0);
  });

  it('--help exits 0', async () => {
    h = await startHarness();
    const r = await h.run(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: pier');
  });
});

describe('pier queue (issue 16)', () => {
  it('shows both queues with length, consumers and the oldest item; -o json is the QueueView', async () => {
    h = await startHarness();
    const text = await h.run(['queue', 'demo']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/QUEUE\s+LENGTH\s+CONSUMERS\s+OLDEST\s+ENDPOINT/);
    expect(text.stdout).toMatch(/input\s+3\s+2\s+#7, 4s ago\s+http:\/\/127\.0\.0\.1:8080\/api\/predict\/demo\n/);
    expect(text.stdout).toMatch(/sink\s+1\s+0\s+-\s+http:\/\/127\.0\.0\.1:8080\/api\/predict\/demo\/sink/);
    const json = JSON.parse((await h.run(['queue', 'demo', '-o', 'json'])).stdout);
    expect(json.instances).toBe(2);
  });
});
