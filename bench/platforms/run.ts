/**
 * bench/platforms: the same trivial Python model (model.py) served by Pier (a
 * stdlib instance and a uvicorn instance), Ray Serve, BentoML and a bare uvicorn
 * app, at 1 and 2 replicas; wrk through each one's own HTTP entry, one target at
 * a time (the others stopped), then one table with ratios. Started by run.sh,
 * which prepares the venv and the environment (BENCH_VENV, no-telemetry flags).
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import type { ServiceDescription } from '../../src/api/index.js';
import { freePort, repoRoot, startTestPier } from '../../test/e2e/helpers.js';
import { waitFor } from '../../test/support/wait.js';

const VENV = process.env.BENCH_VENV ?? '';
const PY = path.join(VENV, 'bin/python');
const DIR = path.join(repoRoot, 'bench/platforms');
const DURATION = process.env.DURATION ?? '15s';
const WARMUP = process.env.WARMUP ?? '3s';
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 32);
const REPLICAS = (process.env.REPLICAS ?? '1 2').split(/\s+/).filter(Boolean).map(Number);
const BODY = JSON.stringify({ x: Array.from({ length: 16 }, (_, i) => i + 1) });
const PORT_REF = '$' + '{PORT}'; // Pier expands it in a command
const work = mkdtempSync(path.join(tmpdir(), 'pier-bp-'));

interface Row {
  target: string;
  replicas: number;
  rps: number;
  p50: number;
  p99: number;
  failed: number;
}
interface Entry {
  url: string;
  headers?: Record<string, string>;
}

/** Every pid whose parent chain leads to `root` (Ray's actors are the raylet's children). */
function descendants(root: number): number[] {
  const parent = new Map<number, number>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      parent.set(Number(d), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // exited meanwhile
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const [pid, pp] of parent) {
      if (pp !== p || out.includes(pid)) continue;
      out.push(pid);
      walk(pid);
    }
  };
  walk(root);
  return out;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const running = new Set<ChildProcess>();

/** SIGTERM to the child's group, 30 s to exit, then SIGKILL to the group and every descendant seen. */
async function stop(child: ChildProcess): Promise<void> {
  running.delete(child);
  if (!child.pid) return;
  const tree = descendants(child.pid);
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch {
    // already gone
  }
  await waitFor(() => child.exitCode !== null || child.signalCode !== null, {
    what: 'target to exit',
    timeoutMs: 30_000,
  }).catch(() => undefined);
  for (const pid of [-child.pid, ...tree]) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // exited
    }
  }
  await waitFor(() => tree.every((p) => !alive(p)), { what: 'descendants to exit', timeoutMs: 10_000 }).catch(() =>
    console.error(`left running: ${tree.filter(alive).join(' ')}`),
  );
}

function start(argv: string[], env: Record<string, string> = {}): ChildProcess {
  const child = spawn(argv[0], argv.slice(1), {
    cwd: DIR,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: true, // own process group, so stop() reaches its workers
  });
  let err = '';
  child.stderr?.on('data', (c) => {
    err = (err + c).slice(-4000);
  });
  child.on('exit', (code) => {
    if (running.has(child)) console.error(`${argv.join(' ')} exited (${code}):\n${err}`);
  });
  running.add(child);
  return child;
}

/** One predict call; true when the answer is the model's. */
async function answers(entry: Entry): Promise<boolean> {
  try {
    const res = await fetch(entry.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...entry.headers },
      body: BODY,
      signal: AbortSignal.timeout(5000),
    });
    const body = (await res.json()) as { y?: number };
    return res.status === 200 && body.y === 136;
  } catch {
    return false;
  }
}

function wrk(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (c) => {
      out += c;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      code === 0 ? resolve(out) : reject(new Error(`wrk exited ${code}`));
    });
  });
}

const ms = (v: string) =>
  v.endsWith('us')
    ? Number.parseFloat(v) / 1000
    : v.endsWith('ms')
      ? Number.parseFloat(v)
      : Number.parseFloat(v) * 1000;

async function measure(target: string, replicas: number, entry: Entry): Promise<Row> {
  await waitFor(() => answers(entry), { what: `${target} to answer`, timeoutMs: 180_000 });
  const base = ['-t2', `-c${CONNECTIONS}`, '--timeout', '10s', '-s', path.join(DIR, 'post.lua')];
  for (const [k, v] of Object.entries(entry.headers ?? {})) base.push('-H', `${k}: ${v}`);
  await wrk([...base, `-d${WARMUP}`, entry.url]);
  const out = await wrk([...base, `-d${DURATION}`, '--latency', entry.url]);
  // Failures are counted, not fatal: on a loaded box a platform may time out (wrk --timeout 10s).
  const bad = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const failed = bad + (sock ? sock.slice(1).reduce((a, b) => a + Number(b), 0) : 0);
  const row = {
    failed,
    target,
    replicas,
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]),
    p50: ms(/^\s+50%\s+(\S+)/m.exec(out)?.[1] ?? 'NaN'),
    p99: ms(/^\s+99%\s+(\S+)/m.exec(out)?.[1] ?? 'NaN'),
  };
  console.error(
    `${target} ×${replicas}: ${row.rps.toFixed(0)} req/s, p50 ${row.p50} ms, p99 ${row.p99} ms, failed ${failed}`,
  );
  return row;
}

async function withProcess(argv: string[], env: Record<string, string>, run: () => Promise<Row>): Promise<Row> {
  const child = start(argv, env);
  try {
    return await run();
  } finally {
    await stop(child);
  }
}

const pier = await startTestPier({ stopInstancesOnClose: true });
let svc = 0;
async function throughPier(target: string, replicas: number, command: string): Promise<Row> {
  const name = `platforms_${svc++}`;
  const spec = {
    name,
    metadata: { instance: replicas },
    containers: [
      {
        command,
        port: 8000,
        readiness_check: { http_get: { path: '/health', port: 8000 }, period_seconds: 1 },
      },
    ],
  };
  const res = await pier.api('POST', '/api/v1/services', spec);
  if (res.status !== 201) throw new Error(JSON.stringify(res.body));
  try {
    let d: ServiceDescription | undefined;
    await waitFor(
      async () => {
        d = (await pier.api<ServiceDescription>('GET', `/api/v1/services/${name}`)).body;
        return d.status === 'Running';
      },
      { what: `${name} Running`, timeoutMs: 120_000 },
    );
    const desc = d as ServiceDescription;
    return await measure(target, replicas, { url: desc.endpoint, headers: { Authorization: desc.token } });
  } finally {
    await pier.api('DELETE', `/api/v1/services/${name}`);
  }
}

const uvicorn = (port: number | string, workers: number) => [
  PY,
  '-m',
  'uvicorn',
  'asgi_app:app',
  '--app-dir',
  DIR,
  '--host',
  '127.0.0.1',
  '--port',
  String(port),
  '--workers',
  String(workers),
  '--no-access-log',
  '--log-level',
  'warning',
];

const rows: Row[] = [];
const load: number[] = [loadavg()[0]];
const shutdown = async () => {
  for (const c of [...running]) await stop(c);
  await pier.close();
  rmSync(work, { recursive: true, force: true });
};
process.on('SIGTERM', () => shutdown().finally(() => process.exit(143)));
process.on('SIGINT', () => shutdown().finally(() => process.exit(130)));

try {
  for (const n of REPLICAS) {
    let port = await freePort();
    rows.push(
      await withProcess(uvicorn(port, n), {}, () => measure('bare uvicorn', n, { url: `http://127.0.0.1:${port}/` })),
    );
    rows.push(await throughPier('Pier + stdlib instance', n, `${PY} ${DIR}/stdlib_app.py`));
    rows.push(await throughPier('Pier + uvicorn instance', n, uvicorn(PORT_REF, 1).join(' ')));
    port = await freePort();
    const rayTmp = mkdtempSync(path.join(work, 'ray-'));
    rows.push(
      await withProcess([PY, 'ray_app.py', String(port), String(n), rayTmp], {}, () =>
        measure('Ray Serve', n, { url: `http://127.0.0.1:${port}/` }),
      ),
    );
    port = await freePort();
    rows.push(
      await withProcess(
        [PY, '-m', 'bentoml', 'serve', 'bento_service:Echo', '--host', '127.0.0.1', '--port', String(port)],
        { BENCH_REPLICAS: String(n) },
        () => measure('BentoML', n, { url: `http://127.0.0.1:${port}/predict` }),
      ),
    );
    load.push(loadavg()[0]);
  }
} finally {
  await shutdown();
}

console.log(
  `\nwrk -t2 -c${CONNECTIONS} -d${DURATION} (after ${WARMUP} warm-up), POST post.lua's {"x": [1..16]}; ` +
    `node ${process.version}; load average (1 min) ${load.map((l) => l.toFixed(1)).join(' → ')}\n`,
);
console.log('| target | replicas | req/s | p50 ms | p99 ms | failed | req/s ÷ Pier (uvicorn) | req/s ÷ bare uvicorn |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const r of rows) {
  const pierRow = rows.find((x) => x.replicas === r.replicas && x.target === 'Pier + uvicorn instance');
  const bare = rows.find((x) => x.replicas === r.replicas && x.target === 'bare uvicorn');
  const ratio = (x?: Row) => (x ? (r.rps / x.rps).toFixed(2) : '—');
  console.log(
    `| ${r.target} | ${r.replicas} | ${r.rps.toFixed(0)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.failed} | ${ratio(pierRow)} | ${ratio(bare)} |`,
  );
}
