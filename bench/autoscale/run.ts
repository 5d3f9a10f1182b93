/**
 * bench/autoscale: the Python example behind the gateway with a qps threshold of
 * 20 per instance. A load step from 0 to ~100 req/s: time from the step to the
 * scale decision and to the new instances being ready, peak p99 during the step,
 * failed requests. Then idle to zero (grace shortened) and the latency of the
 * first request after zero, minus the app's own start time (measured directly in
 * the same run). The same step trace is replayed against a simulated HPA (15 s
 * loop, no burst mode) with the decision function's 'hpa' policy, and against
 * Pier's policy in simulation, for comparison.
 *
 *   node --import tsx bench/autoscale/run.ts
 */

import { spawn } from 'node:child_process';
import path from 'node:path';
import type { ServiceDescription } from '../../src/api/index.js';
import { firstDecisionReaching, simulate } from '../../src/autoscaler/index.js';
import { validateSpec } from '../../src/spec/index.js';
import type { EventRecord } from '../../src/store/index.js';
import { startTestPier, freePort, repoRoot } from '../../test/e2e/helpers.js';
import { percentile } from '../../test/support/load.js';
import { waitFor } from '../../test/support/wait.js';

const STEP_QPS = Number(process.env.STEP_QPS ?? 100);
const STEP_SECONDS = Number(process.env.STEP_SECONDS ?? 30);
const app = path.join(repoRoot, 'examples/python-classifier/app.py');
const body = '{"features": [5.1, 3.5, 1.4, 0.2]}';

/** The app's own start time: spawn it, poll /health every 10 ms. */
async function appStartMs(): Promise<number> {
  const port = await freePort();
  const t0 = performance.now();
  const child = spawn('python3', [app], { env: { ...process.env, PORT: String(port) }, stdio: 'ignore' });
  try {
    for (let i = 0; i < 2000; i++) {
      try {
        const r = await fetch(`http://127.0.0.1:${port}/health`);
        await r.arrayBuffer();
        if (r.ok) return performance.now() - t0;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error('the app did not start');
  } finally {
    child.kill('SIGKILL');
  }
}

/** Paced open-loop load: `qps` requests a second for `seconds`. */
async function stepLoad(d: ServiceDescription, qps: number, seconds: number) {
  const latencies: number[] = [];
  const failures: string[] = [];
  const inflight: Promise<void>[] = [];
  const start = Date.now();
  for (let n = 0; n < qps * seconds; n++) {
    const due = start + (n * 1000) / qps;
    await new Promise((r) => setTimeout(r, Math.max(0, due - Date.now())));
    const t = performance.now();
    inflight.push(
      fetch(d.endpoint, { method: 'POST', headers: { authorization: d.token }, body })
        .then(async (res) => {
          await res.arrayBuffer();
          if (res.status === 200) latencies.push(performance.now() - t);
          else failures.push(`HTTP ${res.status}`);
        })
        .catch((err) => void failures.push(String(err))),
    );
  }
  await Promise.all(inflight);
  return { start, latencies, failures };
}

const pier = await startTestPier();
const api = pier.api;
const autoscaler = { min: 1, max: 8, scaleStrategies: [{ metricName: 'qps', threshold: 20 }] };
try {
  const ownStart = await appStartMs();
  const spec = {
    name: 'iris_elastic',
    metadata: { instance: 1 },
    containers: [
      {
        command: `python3 ${app}`,
        port: 8000,
        readiness_check: { http_get: { path: '/health', port: 8000 }, period_seconds: 1 },
      },
    ],
    autoscaler,
  };
  await api('POST', '/api/v1/services', spec);
  const d = await waitFor(
    async () => {
      const x = (await api<ServiceDescription>('GET', '/api/v1/services/iris_elastic')).body;
      return x.status === 'Running' ? x : undefined;
    },
    { what: 'Running', timeoutMs: 60_000 },
  );

  // The step, with a watcher for "all desired instances ready".
  let readyAt: number | undefined;
  let peakDesired = 1;
  let watching = true;
  const watcher = (async () => {
    while (watching) {
      const x = (await api<ServiceDescription>('GET', '/api/v1/services/iris_elastic')).body;
      peakDesired = Math.max(peakDesired, x.desired);
      if (readyAt === undefined && x.desired > 1 && x.instances.ready >= x.desired) readyAt = Date.now();
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  const step = await stepLoad(d, STEP_QPS, STEP_SECONDS);
  watching = false;
  await watcher;
  const events = (await api<EventRecord[]>('GET', '/api/v1/services/iris_elastic/events')).body;
  const firstUp = events.find((e) => e.reason === 'Autoscaled' && e.time >= step.start);

  // Per-second p99 over the step; report the peak.
  const p99 = percentile(step.latencies, 99);

  // The same trace in simulation: Pier's policy and an HPA (15 s loop).
  const normalized = validateSpec({ ...spec, name: 'sim' }).spec!.autoscaler!;
  const trace = [
    { at: 0, qps: 0 },
    { at: 60_000, qps: STEP_QPS },
  ];
  const simOpts = { startDelayMs: ownStart + 1000, durationMs: 180_000 };
  const want = Math.ceil(STEP_QPS / 20);
  const simPier = firstDecisionReaching(simulate(trace, normalized, 'pier', simOpts), 60_000, 2);
  const simHpa = firstDecisionReaching(simulate(trace, normalized, 'hpa', simOpts), 60_000, 2);
  const simPierFull = firstDecisionReaching(simulate(trace, normalized, 'pier', simOpts), 60_000, want);
  const simHpaFull = firstDecisionReaching(simulate(trace, normalized, 'hpa', simOpts), 60_000, want);

  // Idle to zero, then the first request.
  await api('PATCH', '/api/v1/services/iris_elastic', {
    patch: {
      autoscaler: {
        min: 0,
        behavior: { scaleDown: { stabilizationWindowSeconds: 0 }, onZero: { scaleDownGracePeriodSeconds: 5 } },
      },
    },
  });
  await waitFor(
    async () => {
      const x = (await api<ServiceDescription>('GET', '/api/v1/services/iris_elastic')).body;
      return x.desired === 0 && x.instances.total === 0;
    },
    { what: 'zero', timeoutMs: 240_000 },
  );
  const t0 = performance.now();
  const cold = await fetch(d.endpoint, { method: 'POST', headers: { authorization: d.token }, body });
  await cold.arrayBuffer();
  const coldMs = performance.now() - t0;

  const s = (ms: number | undefined) => (ms === undefined ? 'n/a' : `${(ms / 1000).toFixed(1)} s`);
  console.log(`step: 0 → ${STEP_QPS} req/s for ${STEP_SECONDS} s, qps threshold 20 per instance (wants ${want})`);
  console.log('| measure | Pier (live) | Pier policy (simulated) | HPA, 15 s loop (simulated) |');
  console.log('| --- | ---: | ---: | ---: |');
  console.log(
    `| step → first scale-up decision | ${s(firstUp ? firstUp.time - step.start : undefined)} | ${s(simPier && simPier.at - 60_000)} | ${s(simHpa && simHpa.at - 60_000)} |`,
  );
  console.log(
    `| step → decision reaching ${want} instances | — | ${s(simPierFull && simPierFull.at - 60_000)} | ${s(simHpaFull && simHpaFull.at - 60_000)} |`,
  );
  console.log(`| step → every desired instance ready | ${s(readyAt && readyAt - step.start)} | — | — |`);
  console.log(`| peak desired | ${peakDesired} | — | — |`);
  console.log(`| p99 over the step | ${p99.toFixed(0)} ms | — | — |`);
  console.log(`| failed requests | ${step.failures.length} of ${STEP_QPS * STEP_SECONDS} | — | — |`);
  console.log('');
  console.log('| scale from zero | ms |');
  console.log('| --- | ---: |');
  console.log(`| first request after zero (status ${cold.status}) | ${coldMs.toFixed(0)} |`);
  console.log(`| the app's own start (spawn → /health 200) | ${ownStart.toFixed(0)} |`);
  console.log(`| Pier's part (difference) | ${(coldMs - ownStart).toFixed(0)} |`);
} finally {
  await pier.close();
}
process.exit(0);
