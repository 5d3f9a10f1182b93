import { parentPort, workerData } from 'node:worker_threads';
import pino from 'pino';
import { Registry } from 'prom-client';
import { createLocalGateway } from '../gateway.js';
import type { EndpointSnapshot, EndpointSource } from '../types.js';
import { Board } from './board.js';
import type { FromWorker, ToWorker, WorkerInit } from './protocol.js';
import { relayQueueFront } from './queue-relay.js';

/**
 * One gateway worker thread: a full gateway (same pipeline as the main thread's)
 * whose limits and counts live on the shared board, fed with the main thread's
 * snapshots, answering its metric requests.
 */

const init = workerData as WorkerInit;
const port = parentPort!;
const send = (m: FromWorker) => port.postMessage(m);
const board = new Board(init.sab, init.threads, init.thread);
board.setSlots(init.slots);

let current: EndpointSnapshot = init.snapshot;
const listeners = new Set<(s: EndpointSnapshot) => void>();
const source: EndpointSource = {
  current: () => current,
  subscribe(fn) {
    listeners.add(fn);
    return () => listeners.delete(fn);
  },
};
const registry = new Registry();
const { onDemand, observe, queueRelay, ...options } = init.options;
const queues = queueRelay ? relayQueueFront(queueRelay.secret) : undefined;
// Requests this thread finished, handed to the main thread's observer twice a second.
let observed: [string, number, number][] = [];
const flushObserved = () => {
  if (observed.length === 0) return;
  send({ t: 'observed', records: observed });
  observed = [];
};
const observeTimer = observe ? setInterval(flushObserved, 500) : undefined;
observeTimer?.unref();
// Group counts for the main thread's stats() (`pier group desc`): cumulative, so a late one loses nothing.
let groupsSent = '{}';
const flushGroups = () => {
  const counts = gateway.stats().groups ?? {};
  const text = JSON.stringify(counts);
  if (text === groupsSent) return;
  groupsSent = text;
  send({ t: 'groups', counts });
};
const groupsTimer = setInterval(flushGroups, 500);
groupsTimer.unref();
const gateway = createLocalGateway(
  {
    ...options,
    source,
    registry,
    ...(queues ? { queues } : {}),
    logger: pino({ level: init.logLevel, base: undefined }).child(init.logBindings),
    ...(onDemand ? { onDemand: (service: string) => send({ t: 'demand', service }) } : {}),
    ...(observe
      ? { observer: { record: (service, status, seconds) => observed.push([service, status, seconds]) } }
      : {}),
  },
  board,
);

port.on('message', (m: ToWorker) => {
  switch (m.t) {
    case 'snapshot':
      board.setSlots(m.slots);
      current = m.snapshot;
      for (const fn of listeners) fn(m.snapshot);
      send({ t: 'applied', version: m.snapshot.version });
      return;
    case 'queues':
      queues?.connect(m.port);
      return;
    case 'listen': {
      const bound = m.tls ? gateway.listenTls(m.port, m.host) : gateway.listen(m.port, m.host);
      bound.then(
        () => send({ t: 'listening', id: m.id }),
        (err: Error) => send({ t: 'listening', id: m.id, error: err.message }),
      );
      return;
    }
    case 'metrics':
      registry.getMetricsAsJSON().then((metrics) => send({ t: 'metrics', id: m.id, metrics }));
      return;
    case 'close':
      gateway.close().then(() => {
        clearInterval(observeTimer);
        clearInterval(groupsTimer);
        flushObserved();
        flushGroups();
        send({ t: 'closed' });
        port.close();
      });
      return;
  }
});
send({ t: 'applied', version: current.version });
send({ t: 'ready' });
