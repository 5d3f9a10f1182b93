/**
 * The measured part of src/gateway/wrong-token-load.test.ts, run in a process of its
 * own as `node --expose-gc --import tsx gateway-burst.ts <count>`: with a real GC
 * between the bursts, heap growth is what the gateway kept, not garbage not yet
 * collected. Prints one JSON line: {statuses, growth, inflight}.
 */
import { Agent } from 'node:http';
import { call, echoHandler, service, startBackend, startGateway } from './gateway.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');
const count = Number(process.argv[2] ?? 10_000);

const backend = await startBackend(echoHandler);
const h = await startGateway([service('s', [backend.endpoint()])]);
const agent = new Agent({ keepAlive: true, maxSockets: 16 });

async function burst(from: number, n: number): Promise<Map<number, number>> {
  const statuses = new Map<number, number>();
  let next = from;
  const worker = async () => {
    while (next < from + n) {
      const i = next++;
      const r = await call(h.port, '/api/predict/s', { headers: { authorization: `wrong-token-${i}` }, agent });
      statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  return statuses;
}

/** Heap after full collections (a second pass frees what finalizers of the first released). */
function settledHeap(): number {
  gc!();
  gc!();
  return process.memoryUsage().heapUsed;
}

await burst(0, 1000); // warm up: JIT, sockets, lazily built routes
const before = settledHeap();
const statuses = await burst(1_000_000, count);
const growth = settledHeap() - before;
const inflight = h.gw.stats().services.s!.inflight;
agent.destroy();
await h.gw.close();
await backend.close();
process.stdout.write(`${JSON.stringify({ statuses: [...statuses], growth, inflight })}\n`);
