/**
 * Pier's gateway for the tail benchmark: one service `bench` whose endpoints are
 * the backends on the ports in argv[4..], access log off. POLICY=p2c uses the
 * former default (power of two choices on outstanding requests alone) instead of
 * the default peak-EWMA policy; POLICY=finagle uses peak-EWMA's cost alone
 * (Finagle's and tower's rule) without the check on the predicted wait
 * (lb/peak-ewma.ts); DECAY_MS sets peak-EWMA's τ.
 */
import pino from 'pino';
import { createEndpointStore, createGateway, pickEndpoint } from '../../src/gateway/index.js';
import { createPeakEwma } from '../../src/gateway/lb/peak-ewma.js';

const [listenPort, token, ...ports] = [Number(process.argv[2]), process.argv[3] ?? 'bench', ...process.argv.slice(4)];
const store = createEndpointStore({
  version: 1,
  services: {
    bench: {
      name: 'bench',
      token,
      endpoints: ports.map((p, i) => ({
        instanceId: `bench-${i + 1}`,
        host: '127.0.0.1',
        port: Number(p),
        revision: 1,
      })),
      stopped: false,
      // EAS defaults would cap concurrency at 5 per instance; this compares balancing, not queueing.
      rpc: { keepalive: 5000, worker_threads: 1024, max_queue_size: 1024 },
      enableGrpc: false,
      enableWebservice: false,
    },
  },
});
const decayMs = process.env.DECAY_MS ? Number(process.env.DECAY_MS) : undefined;
// POLICY=finagle: peak-EWMA's cost alone, without the check on the predicted wait.
const waitRatio = process.env.POLICY === 'finagle' ? Infinity : undefined;
const policy =
  process.env.POLICY === 'p2c'
    ? pickEndpoint
    : createPeakEwma({ ...(decayMs ? { decayMs } : {}), ...(waitRatio ? { waitRatio } : {}) });
const gateway = createGateway({ source: store, logger: pino({ level: 'warn' }), policy });
await gateway.listen(listenPort, '127.0.0.1');
const stop = () => {
  gateway.close().then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
