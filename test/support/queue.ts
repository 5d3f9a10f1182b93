/** A gateway with the queue service in front of one async service, on 127.0.0.1:0. */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AsyncRoute, Endpoint, ServiceRoute } from '../../src/gateway/types.js';
import { createQueueService, type QueueService } from '../../src/queue/index.js';
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
  queues = createQueueService({ home, source: h.store });
  return {
    ...h,
    queues,
    home,
    route,
    async close() {
      queues!.close();
      await h.gw.close();
    },
  };
}

export function removeHome(home: string): void {
  rmSync(home, { recursive: true, force: true });
}
