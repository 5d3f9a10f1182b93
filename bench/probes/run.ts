/**
 * CPU Pier spends probing: 500 instances' worth of HTTP readiness probes at period 1 s,
 * against a peer measured in the same run: a bare loop doing the same number of plain
 * `http.get` calls per second (the "direct call" floor, no Pier logic).
 *
 *   node --import tsx bench/probes/run.ts            # 20 s per phase
 *   BENCH_SECONDS=10 BENCH_INSTANCES=500 node --import tsx bench/probes/run.ts
 *
 * The backend answering the probes runs in a separate child process so its CPU is not
 * counted; only this process's CPU (process.cpuUsage) is.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import http from 'node:http';
import { createRealClock } from '../../src/clock.js';
import type { ContainerSpec } from '../../src/spec/index.js';
import {
  createInstanceProber,
  type InstanceHealthListener,
  type ProbeFn,
  probeSpecsFor,
  runProbe,
} from '../../src/probe/index.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const INSTANCES = Number(process.env.BENCH_INSTANCES ?? 500);
const WARMUP_MS = 2000;
const PERIOD_MS = 1000;

const BACKEND = `
const http = require('node:http');
const server = http.createServer((req, res) => { res.end('ok'); });
server.listen(0, '127.0.0.1', () => process.stdout.write(server.address().port + '\\n'));
process.on('SIGTERM', () => process.exit(0));
`;

interface Phase {
  name: string;
  probes: number;
  cpuMicros: number;
  wallMs: number;
}

function startBackend(): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['-e', BACKEND], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.stdout?.once('data', (d: Buffer) => resolve({ child, port: Number(d.toString().trim()) }));
  });
}

/** Runs `begin` (which starts load and returns a stop function), measures CPU over the window after warm-up. */
async function measure(name: string, begin: (count: () => void) => () => void): Promise<Phase> {
  let probes = 0;
  const stop = begin(() => {
    probes++;
  });
  await new Promise((r) => setTimeout(r, WARMUP_MS));
  const cpu0 = process.cpuUsage();
  const probes0 = probes;
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  const cpu = process.cpuUsage(cpu0);
  const wallMs = performance.now() - t0;
  const counted = probes - probes0;
  stop();
  await new Promise((r) => setTimeout(r, 1500)); // let in-flight requests drain between phases
  return { name, probes: counted, cpuMicros: cpu.user + cpu.system, wallMs };
}

function baseline(port: number) {
  return (count: () => void) => {
    const timers: NodeJS.Timeout[] = [];
    for (let i = 0; i < INSTANCES; i++) {
      const fire = () => {
        http
          .get({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
            res.resume();
            res.on('end', count);
          })
          .on('error', () => {});
      };
      timers.push(
        setTimeout(
          () => {
            fire();
            timers.push(setInterval(fire, PERIOD_MS));
          },
          Math.floor(Math.random() * PERIOD_MS),
        ),
      );
    }
    return () => {
      for (const t of timers) clearTimeout(t);
    };
  };
}

function pier(port: number) {
  return (count: () => void) => {
    const clock = createRealClock();
    const now = clock.now();
    const listener: InstanceHealthListener = {
      readinessChanged() {},
      started() {},
      killRequested() {},
      probeFailed() {},
    };
    const container: ContainerSpec = {
      env: [],
      port: 8000,
      readiness_check: {
        http_get: { path: '/', port: 8000, scheme: 'HTTP', http_headers: [] },
        initial_delay_seconds: 0,
        period_seconds: PERIOD_MS / 1000,
        timeout_seconds: 1,
        success_threshold: 1,
        failure_threshold: 3,
      },
    };
    const probe: ProbeFn = async (spec, target) => {
      const out = await runProbe(spec, target, { servingPort: 8000 });
      if (out.result === 'success') count();
      return out;
    };
    const probers = Array.from({ length: INSTANCES }, () =>
      createInstanceProber({
        probes: probeSpecsFor(container, 8000),
        servingPort: 8000,
        target: { host: '127.0.0.1', port, containerPort: 8000, exec: () => Promise.reject(new Error('unused')) },
        clock,
        listener,
        agentStartedAt: now, // just started: first probes spread over one period, as on a Pier restart
        containerStartedAt: now,
        probe,
      }),
    );
    for (const p of probers) p.start();
    return () => {
      for (const p of probers) p.stop();
    };
  };
}

function row(p: Phase): string {
  const perSecond = p.probes / (p.wallMs / 1000);
  const cpuPct = (p.cpuMicros / 1000 / p.wallMs) * 100;
  const perProbe = p.cpuMicros / Math.max(1, p.probes);
  return `| ${p.name} | ${perSecond.toFixed(0)} | ${cpuPct.toFixed(1)} % | ${perProbe.toFixed(0)} µs |`;
}

async function main(): Promise<void> {
  const { child, port } = await startBackend();
  try {
    const base = await measure('baseline: plain http.get loop', baseline(port));
    const ours = await measure('Pier: InstanceProber × http_get readiness', pier(port));
    const ratio = ours.cpuMicros / Math.max(1, ours.probes) / (base.cpuMicros / Math.max(1, base.probes));
    console.log(
      `\n${INSTANCES} instances, period 1 s, ${SECONDS} s measured per phase (after ${WARMUP_MS / 1000} s warm-up), Node ${process.version}\n`,
    );
    console.log('| peer | probes/s | CPU (% of one core) | CPU per probe |');
    console.log('| --- | ---: | ---: | ---: |');
    console.log(row(base));
    console.log(row(ours));
    console.log(`\nPier / baseline CPU per probe: ${ratio.toFixed(2)}×`);
  } finally {
    child.kill('SIGTERM');
  }
}

await main();
