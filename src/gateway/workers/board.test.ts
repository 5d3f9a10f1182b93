import { describe, expect, it } from 'vitest';
import { service } from '../../../test/support/gateway.js';
import type { EndpointSnapshot } from '../types.js';
import { Board, boardBytes } from './board.js';
import { SlotAllocator } from './slots.js';

/** Two views of one buffer stand for two threads (the board is plain shared memory). */
function twoThreads() {
  const sab = new SharedArrayBuffer(boardBytes(2));
  return [new Board(sab, 2, 0), new Board(sab, 2, 1)] as const;
}

const ep = (id: string) => ({ instanceId: id, host: '127.0.0.1', port: 1, revision: 1 });
const snap = (version: number, instances: string[]): EndpointSnapshot => ({
  version,
  services: instances.length ? { s: service('s', instances.map(ep)) } : {},
});

describe('shared board', () => {
  it('keeps worker slots and the queue exact for both threads, without jumping a queue', () => {
    const [a, b] = twoThreads();
    expect(a.tryRun(0, 2)).toBe(true);
    expect(b.tryRun(0, 2)).toBe(true);
    expect(a.tryRun(0, 2)).toBe(false);
    expect(b.tryQueue(0, 1)).toBe(true);
    expect(a.tryQueue(0, 1)).toBe(false);
    expect(a.isFull(0, 2, 1)).toBe(true);
    expect(b.inflight(0)).toBe(3);
    a.release(0);
    // A free slot, but someone queues: a new request does not take it.
    expect(a.tryRun(0, 2)).toBe(false);
    expect(b.grantQueued(0, 2)).toBe(true);
    expect(a.inflight(0)).toBe(2);
  });

  it('shares one token bucket: rate 10 admits 10 at once over both threads', () => {
    const [a, b] = twoThreads();
    let admitted = 0;
    for (let i = 0; i < 20; i++) if ((i % 2 ? a : b).takeToken(3, 10, 1000)) admitted++;
    expect(admitted).toBe(10);
    // 100 ms later one more token has refilled.
    expect(a.takeToken(3, 10, 1100)).toBe(true);
    expect(b.takeToken(3, 10, 1100)).toBe(false);
  });

  it('sums per-thread rows and bounds the held count for the service', () => {
    const [a, b] = twoThreads();
    a.addService(1, 3, 1);
    b.addService(1, 2, 1);
    expect(a.serviceCounts(1)).toEqual({ requests: 5, inflight: 2 });
    expect(a.tryHold(1, 2)).toBe(true);
    expect(b.tryHold(1, 2)).toBe(true);
    expect(a.tryHold(1, 2)).toBe(false);
    b.unhold(1);
    expect(a.held(1)).toBe(1);
  });
});

describe('slot allocator', () => {
  it('reuses a slot only once every thread applied a snapshot without it and nothing of it is in flight', () => {
    const [main, worker] = twoThreads();
    const slots = new SlotAllocator(main, 2);
    slots.assign(snap(1, ['x']));
    const x = slots.instanceSlot('x');
    worker.setSlots({ services: [], instances: [['x', x]] });
    expect(worker.tryRun(x, 1)).toBe(true);
    slots.ack(0, 2);
    slots.assign(snap(2, []));
    slots.ack(1, 2);
    // Gone from the snapshot, acknowledged, but still in flight: kept.
    slots.assign(snap(3, ['y']));
    expect(slots.instanceSlot('x')).toBe(x);
    expect(slots.instanceSlot('y')).not.toBe(x);
    worker.release(x);
    slots.ack(0, 3);
    slots.ack(1, 3);
    slots.assign(snap(4, ['y', 'z']));
    expect(slots.instanceSlot('x')).toBe(-1);
    // The freed slot is the next one handed out, zeroed.
    expect(slots.instanceSlot('z')).toBe(x);
    expect(main.inflight(x)).toBe(0);
  });
});
