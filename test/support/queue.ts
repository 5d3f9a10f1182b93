/** A gateway with the queue service in front of one async service, on 127.0.0.1:0. */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Clock } from '../../src/clock.js';
import type { AsyncRoute, Endpoint, ServiceRoute } from '../../src/gateway/types.js';
import {
  createQueueService,
  openRedisQueueStorage,
  type QueueService,
  type QueueStorage,
} from '../../src/queue/index.js';
import { type RedisServer, startRedisServer } from './redis.js';
import { type Harness, service, startGateway } from './gateway.js';

export const ASYNC: AsyncRoute = {
  proxyPath: '/',
  maxDelivery: 3,
  source: { maxLength: 100, maxPayloadBytes: 1024, autoEvict: false },
  sink: { maxLength: 100, maxPayloadBytes: 1024 * 1024, autoEvict: false },
};

export interface QueueHarness extends Harness {
  queues: QueueService;
  home: string;
  route(endpoints: Endpoint[], over?: Partial<ServiceRoute>): ServiceRoute;
  close(): Promise<void>;
}

export async function startQueueGateway(
  name: string,
  queue: Partial<AsyncRoute> = {},
  endpoints: Endpoint[] = [],
  home = mkdtempSync(path.join(tmpdir(), 'pier-queue-')),
  backend?: QueueBackend,
  clock?: Clock,
): Promise<QueueHarness> {
  const route = (eps: Endpoint[], over: Partial<ServiceRoute> = {}) =>
    service(name, eps, { queue: { ...ASYNC, ...queue }, ...over });
  let queues: QueueService | undefined;
  const h = await startGateway([route(endpoints)], {
    queues: {
      handle: (...args) => queues!.front.handle(...args),
      upgrade: (...args) => queues!.front.upgrade(...args),
    },
  });
  const storage = await backend?.storage(home);
  queues = createQueueService({ home, source: h.store, ...(storage ? { storage } : {}), ...(clock ? { clock } : {}) });
  return {
    ...h,
    queues,
    home,
    route,
    async close() {
      await queues!.close();
      await h.gw.close();
    },
  };
}

export function removeHome(home: string): void {
  rmSync(home, { recursive: true, force: true });
}

/**
 * A queue storage backend the queue tests run against, each the same table of
 * behaviours: SQLite in the harness's home, or a real redis-server started in
 * `setup()` where each home gets a database of its own (the same home, the same one,
 * so a "restart" on a home finds what the last service wrote).
 */
export interface QueueBackend {
  name: 'sqlite' | 'redis';
  setup(): Promise<void>;
  teardown(): Promise<void>;
  /** undefined: the service's default (SQLite in `home`). */
  storage(home: string): Promise<QueueStorage | undefined>;
  /** The `--queue-backend` flag for a Pier process; empty for the default. */
  args(): string[];
}

export function queueBackends(): QueueBackend[] {
  const sqlite: QueueBackend = {
    name: 'sqlite',
    setup: async () => undefined,
    teardown: async () => undefined,
    storage: async () => undefined,
    args: () => [],
  };
  let server: RedisServer | undefined;
  const dbs = new Map<string, number>();
  const redis: QueueBackend = {
    name: 'redis',
    async setup() {
      server = await startRedisServer();
    },
    async teardown() {
      await server?.stop();
      server = undefined;
    },
    async storage(home) {
      if (!server) throw new Error('redis backend used before setup()');
      let db = dbs.get(home);
      if (db === undefined) {
        db = dbs.size + 1;
        dbs.set(home, db);
      }
      return openRedisQueueStorage(server.url(db));
    },
    args() {
      if (!server) throw new Error('redis backend used before setup()');
      return ['--queue-backend', server.url(0)];
    },
  };
  return [sqlite, redis];
}
