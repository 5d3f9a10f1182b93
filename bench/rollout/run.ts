import type { InstanceView, ServiceDescription } from '../../src/api/index.js';
import { startTestPier, fixtureSpec } from '../../test/e2e/helpers.js';
import { type LoadResult, percentile, ROLLOUT_MIX, type RunningLoad, underLoad } from '../../test/support/load.js';
import { waitFor } from '../../test/support/wait.js';

interface Row {
  mode: string;
  step: string;
  ok: number;
  failed: number;
  sse: number;
  p50: number;
  p99: number;
  firstFailure: string;
}

async function runMode(mode: 'gateway' | 'none'): Promise<Row[]> {
  const pier = await startTestPier({ drain: mode });
  const api = pier.api;
  const name = 'steady';
  const rows: Row[] = [];
  try {
    const spec = fixtureSpec(
      name,
      {},
      { readiness_check: { http_get: { path: '/health', port: 8000 }, period_seconds: 1 } },
      { instance: 3, eas: { termination_grace_period: 30 }, rpc: { worker_threads: 32, keepalive: 10_000 } },
    );
    await api('POST', '/api/v1/services', spec);
    const desc = async () => (await api<ServiceDescription>('GET', `/api/v1/services/${name}`)).body;
    const list = async () => (await api<InstanceView[]>('GET', `/api/v1/services/${name}/instances`)).body;
    const running = (check: (d: ServiceDescription, l: InstanceView[]) => boolean = () => true) =>
      waitFor(
        async () => {
          const d = await desc();
          return d.status === 'Running' && check(d, await list());
        },
        { what: 'Running', timeoutMs: 180_000 },
      );
    await running();
    const svc = await desc();

    const step = async (label: string, action: (load: RunningLoad) => Promise<void>) => {
      const r: LoadResult = await underLoad({ endpoint: svc.endpoint, token: svc.token, ...ROLLOUT_MIX }, action, 100);
      rows.push({
        mode: mode === 'gateway' ? 'Pier (drain)' : 'no drain (peer)',
        step: label,
        ok: r.ok,
        failed: r.failed,
        sse: r.sseEvents,
        p50: percentile(r.latenciesMs, 50),
        p99: percentile(r.latenciesMs, 99),
        firstFailure: r.failures[0] ?? '',
      });
    };

    await step('modify rolls 3 instances', async () => {
      await api('PATCH', `/api/v1/services/${name}`, {
        set: { 'containers[0].env': [{ name: 'MODEL', value: 'v2' }] },
      });
      await running((d, l) => d.revision === 2 && l.length === 3 && l.every((i) => i.revision === 2));
    });
    await api('POST', `/api/v1/services/${name}/scale`, { instances: 4 });
    await running((d) => d.instances.ready === 4);
    await step('scale 4 → 1', async () => {
      await api('POST', `/api/v1/services/${name}/scale`, { instances: 1 });
      await running((_d, l) => l.length === 1);
    });
    await api('POST', `/api/v1/services/${name}/scale`, { instances: 3 });
    await running((d) => d.instances.ready === 3);
    await step('restart replaces all', async () => {
      const before = new Set((await list()).map((i) => i.id));
      await api('POST', `/api/v1/services/${name}/restart`, {});
      await running((_d, l) => l.length === 3 && l.every((i) => !before.has(i.id)));
    });
    await step('kill -9 one instance', async (load) => {
      // A stream on a SIGKILLed instance is cut whatever happens: kill another one.
      const victim = (await list()).find((i) => i.id !== load.result.sseInstance)!;
      const pid = victim.platform?.kind === 'local' ? victim.platform.pid : undefined;
      if (pid === undefined) throw new Error(`instance ${victim.id} has no local pid`);
      process.kill(pid, 'SIGKILL');
      await running((_d, l) => l.some((i) => i.id === victim.id && i.restarts === 1 && i.ready));
    });
    await step('modify to a crashing revision', async () => {
      await api('PATCH', `/api/v1/services/${name}`, {
        set: { 'containers[0].env': [{ name: 'EXIT_AFTER_MS', value: '0' }] },
      });
      await waitFor(async () => (await desc()).reason === 'RolloutPaused', { what: 'paused', timeoutMs: 60_000 });
    });
  } finally {
    await pier.close();
  }
  return rows;
}

const rows = [...(await runMode('gateway')), ...(await runMode('none'))];
console.log('| mode | step | ok | failed | SSE events | p50 ms | p99 ms | first failure |');
console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |');
for (const r of rows) {
  console.log(
    `| ${r.mode} | ${r.step} | ${r.ok} | ${r.failed} | ${r.sse} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.firstFailure} |`,
  );
}
const pierFailed = rows.filter((r) => r.mode.startsWith('Pier')).reduce((n, r) => n + r.failed, 0);
const peerFailed = rows.filter((r) => !r.mode.startsWith('Pier')).reduce((n, r) => n + r.failed, 0);
console.log(`\nfailed requests: Pier ${pierFailed}, peer without drain ${peerFailed}`);
process.exit(0);
