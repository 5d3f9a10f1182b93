/**
 * A list+watch cache of one kind of object that survives disconnects.
 * client-node's informer stops on a watch error (an apiserver restart, a dropped
 * connection, an expired resourceVersion) and leaves restarting to the caller; this
 * restarts it with a capped backoff, and its re-list is the resync.
 * https://github.com/kubernetes-client/javascript/blob/main/examples/typescript/informer/informer-with-label-selector.ts
 */

import { type KubeConfig, type KubernetesObject, type ListPromise, makeInformer } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../../clock.js';

export interface WatchedKind<T extends KubernetesObject> {
  /** Objects as last seen (a copy of the informer's cache). */
  list(): T[];
  /** Resolves once the first list is in; rejects when that list fails (wrong credentials, no such API). */
  readonly synced: Promise<void>;
  /** Whether the cache is being kept up to date (false between an error and the re-list). */
  healthy(): boolean;
  stop(): Promise<void>;
}

export interface WatchOptions<T extends KubernetesObject> {
  kubeconfig: KubeConfig;
  /** The watch path, e.g. /api/v1/namespaces/NS/pods. */
  path: string;
  list: ListPromise<T>;
  labelSelector?: string;
  clock: Clock;
  logger: Logger;
  /** Any change, including a re-list after a disconnect. */
  changed(obj: T | undefined): void;
}

const MAX_BACKOFF_MS = 10_000;

export function watchKind<T extends KubernetesObject>(o: WatchOptions<T>): WatchedKind<T> {
  const informer = makeInformer<T>(o.kubeconfig, o.path, o.list, o.labelSelector);
  let stopped = false;
  let healthy = false;
  let failures = 0;
  let retry: TimerHandle | undefined;
  const changed = (obj?: T) => o.changed(obj);
  informer.on('add', changed);
  informer.on('update', changed);
  informer.on('delete', changed);
  informer.on('connect', () => {
    healthy = true;
    failures = 0;
    o.changed(undefined);
  });
  informer.on('error', (err: unknown) => {
    healthy = false;
    if (stopped) return;
    failures++;
    const delay = Math.min(MAX_BACKOFF_MS, 250 * 2 ** Math.min(failures, 6));
    o.logger.warn({ path: o.path, err: String(err), retryInMs: delay }, 'watch failed; re-listing');
    retry = o.clock.setTimeout(() => {
      if (!stopped) informer.start().catch(() => undefined); // a failed re-list emits error again
    }, delay);
  });
  const synced = informer.start().then(() => {
    healthy = true;
  });
  synced.catch(() => undefined);
  return {
    list: () => [...informer.list()],
    synced,
    healthy: () => healthy,
    async stop() {
      stopped = true;
      o.clock.clearTimeout(retry);
      await informer.stop();
    },
  };
}
