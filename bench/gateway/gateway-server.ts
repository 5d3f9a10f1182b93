/**
 * Pier's gateway alone, in its own process, for the benchmark: one service
 * `bench` with one endpoint (the backend), token from argv, access log off
 * (level warn) as nginx's is. argv: backend port, listen port, token, gateway
 * workers (a number or auto; default 1).
 */
import { availableParallelism } from 'node:os';
import pino from 'pino';
import { createEndpointStore, createGateway } from '../../src/gateway/index.js';

const [backendPort, listenPort, token] = [Number(process.argv[2]), Number(process.argv[3]), process.argv[4] ?? 'bench'];
const store = createEndpointStore({
  version: 1,
  services: {
    bench: {
      name: 'bench',
      token,
      endpoints: [{ instanceId: 'bench-1', host: '127.0.0.1', port: backendPort, revision: 1 }],
      stopped: false,
      // EAS defaults would cap concurrency at 5; the benchmark compares proxying, not queueing.
      rpc: { keepalive: 5000, worker_threads: 1024, max_queue_size: 1024 },
      enableGrpc: false,
      enableWebservice: false,
    },
  },
});
const raw = process.argv[5] ?? '1';
const workers = raw === 'auto' ? availableParallelism() : Number(raw);
const gateway = createGateway({ source: store, logger: pino({ level: 'warn' }), workers });
const port = await gateway.listen(listenPort, '127.0.0.1');
console.log(port);
const stop = () => {
  gateway.close().then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
