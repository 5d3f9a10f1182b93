import type { EndpointSnapshot, EndpointSource } from './types.js';

export type EndpointStore = EndpointSource & { set(snapshot: EndpointSnapshot): void };

export const EMPTY_SNAPSHOT: EndpointSnapshot = Object.freeze({ version: 0, services: {} }) as EndpointSnapshot;

/** An in-memory endpoint source: the controller (and tests) `set()` whole snapshots. */
export function createEndpointStore(initial: EndpointSnapshot = EMPTY_SNAPSHOT): EndpointStore {
  let snapshot = initial;
  const listeners = new Set<(s: EndpointSnapshot) => void>();
  return {
    current: () => snapshot,
    subscribe(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    set(next) {
      snapshot = next;
      for (const listener of [...listeners]) listener(next);
    },
  };
}
