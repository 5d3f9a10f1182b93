/**
 * gRPC unary through Pier's gateway vs the same backend called directly.
 *
 *   node --import tsx bench/gateway/grpc.ts            # 32 concurrent calls, 2 s warm-up + 8 s per target
 *   GRPC_CONCURRENCY=64 GRPC_SECONDS=5 node --import tsx bench/gateway/grpc.ts
 *
 * Each side runs in its own process: the backend (@grpc/grpc-js, a unary method
 * answering a fixed 38-byte message), Pier's gateway (one service `bench` with
 * enable_grpc, raw-token auth, worker_threads 1024, access log off), and this
 * client: a @grpc/grpc-js channel with a fixed number of calls always in flight.
 * Prints a markdown table and the Pier/direct ratio.
 *
 *   GRPC_GATEWAY_WORKERS=auto   the gateway's threads (default 1)
 *   GRPC_PROFILE=<dir>          writes a CPU profile of the gateway there
 *                               (summary: node --import tsx bench/gateway/profile-summary.ts <dir>)
 */
import { availableParallelism } from 'node:os';
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  credentials,
  makeGenericClientConstructor,
  Metadata,
  Server,
  ServerCredentials,
  type ServiceDefinition,
} from '@grpc/grpc-js';
import pino from 'pino';
import { createEndpointStore, createGateway } from '../../src/gateway/index.js';

const TOKEN = 'bench';
const REPLY = Buffer.from('{"result":[0.12,0.88],"model":"bench"}');
const raw = (b: Buffer) => b;
const BENCH: ServiceDefinition = {
  predict: {
    path: '/pier.bench.Model/Predict',
    requestStream: false,
    responseStream: false,
    requestSerialize: raw,
    requestDeserialize: raw,
    responseSerialize: raw,
    responseDeserialize: raw,
  },
};

async function backend(): Promise<void> {
  const server = new Server();
  server.addService(BENCH, { predict: (_call: unknown, cb: (e: null, r: Buffer) => void) => cb(null, REPLY) });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  console.log(port);
  process.on('SIGTERM', () => {
    server.forceShutdown();
    process.exit(0);
  });
}

async function gateway(backendPort: number): Promise<void> {
  const store = createEndpointStore({
    version: 1,
    services: {
      bench: {
        name: 'bench',
        token: TOKEN,
        endpoints: [{ instanceId: 'bench-1', host: '127.0.0.1', port: backendPort, revision: 1 }],
        stopped: false,
        rpc: { keepalive: 5000, worker_threads: 1024, max_queue_size: 1024 },
        enableGrpc: true,
        enableWebservice: false,
      },
    },
  });
  const raw = process.env.GRPC_GATEWAY_WORKERS ?? '1';
  const workers = raw === 'auto' ? availableParallelism() : Number(raw);
  const gw = createGateway({ source: store, logger: pino({ level: 'warn' }), workers });
  console.log(await gw.listen(0, '127.0.0.1'));
  process.on('SIGTERM', () => gw.close().then(() => process.exit(0)));
}

function start(role: string, ...args: string[]): Promise<{ child: ChildProcess; port: number }> {
  const self = fileURLToPath(import.meta.url);
  const prof =
    role === 'gateway' && process.env.GRPC_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.GRPC_PROFILE}`] : [];
  const child = spawn(process.execPath, [...prof, '--import', 'tsx', self, role, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.stdout!.once('data', (d: Buffer) => resolve({ child, port: Number(d.toString().trim()) }));
    child.once('exit', (code) => reject(new Error(`${role} exited with ${code}`)));
  });
}

/** CPU seconds (user + system) a child has used so far, from /proc (Linux); 0 elsewhere. */
function cpuSeconds(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

interface Row {
  target: string;
  calls: number;
  rate: number;
  p50: number;
  p99: number;
  errors: number;
}

async function load(
  target: string,
  port: number,
  concurrency: number,
  seconds: number,
  measuring: () => void = () => {},
): Promise<Row> {
  const Client = makeGenericClientConstructor(BENCH, 'Model');
  const client = new Client(`127.0.0.1:${port}`, credentials.createInsecure()) as unknown as {
    predict(req: Buffer, md: Metadata, cb: (err: Error | null) => void): void;
    close(): void;
  };
  const md = new Metadata();
  md.set('authorization', TOKEN);
  md.set('x-pier-service', 'bench');
  const request = Buffer.from('{"input":[1,2,3,4]}');
  const run = async (ms: number, latencies: number[] | undefined) => {
    let errors = 0;
    let calls = 0;
    const end = performance.now() + ms;
    const worker = async () => {
      while (performance.now() < end) {
        const t0 = performance.now();
        const err = await new Promise<Error | null>((resolve) => client.predict(request, md, resolve));
        if (err) errors++;
        calls++;
        latencies?.push(performance.now() - t0);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    return { calls, errors };
  };
  await run(2000, undefined);
  measuring();
  const latencies: number[] = [];
  const t0 = performance.now();
  const { calls, errors } = await run(seconds * 1000, latencies);
  const elapsed = (performance.now() - t0) / 1000;
  client.close();
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return { target, calls, rate: calls / elapsed, p50: at(0.5), p99: at(0.99), errors };
}

/** CPU µs per call of the client (this process), the backend and the gateway over one measured run. */
interface CpuPerCall {
  client: number;
  backend: number;
  gateway: number;
}

async function measured(
  target: string,
  port: number,
  concurrency: number,
  seconds: number,
  pids: { backend?: number; gateway?: number },
): Promise<Row & { cpu: CpuPerCall }> {
  let before = { client: process.cpuUsage(), backend: 0, gateway: 0 };
  const row = await load(target, port, concurrency, seconds, () => {
    before = { client: process.cpuUsage(), backend: cpuSeconds(pids.backend), gateway: cpuSeconds(pids.gateway) };
  });
  const client = process.cpuUsage(before.client);
  const perCall = (s: number) => (s / (row.calls || 1)) * 1e6;
  const cpu = {
    client: perCall((client.user + client.system) / 1e6),
    backend: perCall(cpuSeconds(pids.backend) - before.backend),
    gateway: pids.gateway === undefined ? 0 : perCall(cpuSeconds(pids.gateway) - before.gateway),
  };
  return { ...row, cpu };
}

async function main(): Promise<void> {
  const concurrency = Number(process.env.GRPC_CONCURRENCY ?? 32);
  const seconds = Number(process.env.GRPC_SECONDS ?? 8);
  const be = await start('backend');
  const gw = await start('gateway', String(be.port));
  try {
    const direct = await measured('direct (grpc-js → backend)', be.port, concurrency, seconds, {
      backend: be.child.pid,
    });
    const pier = await measured('Pier gateway (h2c, pooled HTTP/2 upstream)', gw.port, concurrency, seconds, {
      backend: be.child.pid,
      gateway: gw.child.pid,
    });
    const loadavg = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
    const workers = process.env.GRPC_GATEWAY_WORKERS ?? '1';
    console.log(
      `\ngRPC unary, ${concurrency} calls in flight, ${seconds} s after 2 s warm-up; gateway workers ${workers};`,
    );
    console.log(`node ${process.version}; ${availableParallelism()} cores; load average ${loadavg} at the end\n`);
    console.log('| target | calls/s | p50 ms | p99 ms | errors | CPU µs/call: client | backend | gateway |');
    console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const r of [direct, pier]) {
      const { client, backend, gateway } = r.cpu;
      const cpu = `${client.toFixed(0)} | ${backend.toFixed(0)} | ${r === direct ? '' : gateway.toFixed(0)}`;
      console.log(
        `| ${r.target} | ${r.rate.toFixed(0)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.errors} | ${cpu} |`,
      );
    }
    // When every core is busy, calls/s is cores / (CPU per call of all three), so one more
    // process on the path caps the ratio at (client + backend) / (client + backend + gateway).
    const { client, backend, gateway } = pier.cpu;
    console.log(`\nPier / direct: ${(pier.rate / direct.rate).toFixed(2)}×`);
    console.log(`gateway CPU per call: ${gateway.toFixed(0)} µs`);
    console.log(
      `ceiling when the cores are the limit, (client + backend) / (client + backend + gateway): ${((client + backend) / (client + backend + gateway)).toFixed(2)}×`,
    );
    if (direct.errors + pier.errors > 0) process.exitCode = 1;
  } finally {
    be.child.kill('SIGTERM');
    gw.child.kill('SIGTERM');
  }
}

const role = process.argv[2];
if (role === 'backend') await backend();
else if (role === 'gateway') await gateway(Number(process.argv[3]));
else await main();
