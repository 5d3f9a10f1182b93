import { describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.js';
import { GatewayRegistry, type RemoteGatewayState, remoteDrainDone, remoteDrainPending } from './gateways.js';

const gw = (id: string, version: number | undefined, inflight: Record<string, number> = {}): RemoteGatewayState => ({
  id,
  watches: 1,
  ...(version !== undefined ? { version } : {}),
  inflight,
  connectedAt: 0,
});

describe('remoteDrainDone', () => {
  const cases: { name: string; gateways: RemoteGatewayState[]; want: string[] }[] = [
    { name: 'no remote gateway connected', gateways: [], want: [] },
    { name: 'acked the version, nothing in flight', gateways: [gw('a', 7)], want: [] },
    { name: 'acked a newer version', gateways: [gw('a', 9)], want: [] },
    { name: 'not acked anything yet', gateways: [gw('a', undefined)], want: ['a'] },
    { name: 'acked an older version only', gateways: [gw('a', 6)], want: ['a'] },
    { name: 'acked, requests still in flight', gateways: [gw('a', 7, { x: 2 })], want: ['a'] },
    { name: 'acked, reports 0 in flight', gateways: [gw('a', 7, { x: 0 })], want: [] },
    { name: 'in flight to another instance only', gateways: [gw('a', 7, { y: 3 })], want: [] },
    {
      name: 'one of two gateways lags',
      gateways: [gw('a', 7), gw('b', 6), gw('c', 8, { x: 1 })],
      want: ['b', 'c'],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(remoteDrainPending(c.gateways, 'x', 7)).toEqual(c.want);
      expect(remoteDrainDone(c.gateways, 'x', 7)).toBe(c.want.length === 0);
    });
  }
});

describe('GatewayRegistry', () => {
  const settled = async <T>(p: Promise<T>) => {
    let value: { v: T } | undefined;
    void p.then((v) => {
      value = { v };
    });
    await Promise.resolve();
    await Promise.resolve();
    return value;
  };

  it('resolves at once when no gateway is connected', async () => {
    const registry = new GatewayRegistry({ clock: new ManualClock() });
    expect(await registry.drainRemote('x', 3, 1000)).toBe(true);
  });

  it('waits for the version, then for in-flight requests to finish', async () => {
    const clock = new ManualClock();
    const registry = new GatewayRegistry({ clock });
    registry.opened('a');
    registry.ack({ gateway: 'a', version: 4, inflight: {} });
    const drain = registry.drainRemote('x', 5, 30_000);
    expect(await settled(drain)).toBeUndefined();
    registry.ack({ gateway: 'a', version: 5, inflight: { x: 2 } });
    clock.advance(500);
    expect(await settled(drain)).toBeUndefined();
    expect(registry.pending('x', 5)).toEqual(['a']);
    registry.ack({ gateway: 'a', version: 5, inflight: { x: 0 } });
    expect(await settled(drain)).toEqual({ v: true });
    expect(clock.pendingTimers()).toBe(0);
  });

  it('stops waiting for a gateway that disconnects', async () => {
    const clock = new ManualClock();
    const registry = new GatewayRegistry({ clock });
    registry.opened('a');
    registry.opened('b');
    registry.ack({ gateway: 'a', version: 5, inflight: {} });
    const drain = registry.drainRemote('x', 5, 30_000);
    expect(await settled(drain)).toBeUndefined();
    registry.closed('b');
    expect(await settled(drain)).toEqual({ v: true });
    expect(registry.snapshot().map((g) => g.id)).toEqual(['a']);
  });

  it('gives up after the timeout', async () => {
    const clock = new ManualClock();
    const registry = new GatewayRegistry({ clock });
    registry.opened('a');
    registry.ack({ gateway: 'a', version: 5, inflight: { x: 1 } });
    const drain = registry.drainRemote('x', 5, 2000);
    clock.advance(1999);
    expect(await settled(drain)).toBeUndefined();
    clock.advance(1);
    expect(await settled(drain)).toEqual({ v: false });
    expect(clock.pendingTimers()).toBe(0);
  });

  it('keeps a gateway while any of its watches is open, and ignores acks of unknown gateways', () => {
    const registry = new GatewayRegistry({ clock: new ManualClock(1000) });
    expect(registry.ack({ gateway: 'ghost', version: 1, inflight: {} })).toBe(false);
    expect(registry.snapshot()).toEqual([]);
    registry.opened('a');
    registry.opened('a'); // a reconnect that overlaps the old stream's close
    expect(registry.ack({ gateway: 'a', version: 2, inflight: { x: 1 } })).toBe(true);
    registry.closed('a');
    expect(registry.snapshot()).toEqual([
      { id: 'a', watches: 1, version: 2, inflight: { x: 1 }, connectedAt: 1000, ackedAt: 1000 },
    ]);
    registry.closed('a');
    registry.closed('a');
    expect(registry.snapshot()).toEqual([]);
  });

  it('a gateway that connects during a drain is waited for until it acks', async () => {
    const clock = new ManualClock();
    const registry = new GatewayRegistry({ clock });
    registry.opened('a');
    registry.ack({ gateway: 'a', version: 5, inflight: { x: 1 } });
    const drain = registry.drainRemote('x', 5, 30_000);
    registry.opened('b');
    registry.ack({ gateway: 'a', version: 5, inflight: {} });
    expect(await settled(drain)).toBeUndefined();
    registry.ack({ gateway: 'b', version: 5, inflight: {} });
    expect(await settled(drain)).toEqual({ v: true });
  });
});
