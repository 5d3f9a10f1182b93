import { describe, expect, it } from 'vitest';
import type { GatewayStatsReport } from '../api/index.js';
import { ManualClock } from '../clock.js';
import {
  type GatewayStatsEntry,
  GatewayStatsBoard,
  type LocalStats,
  mergeGatewayStats,
  restarted,
} from './gateway-stats.js';

const NOW = 1_000_000;
const STALE = 5000;

function report(gateway: string, requests: number, inflight: number, pending = 0): GatewayStatsReport {
  return { gateway, services: { svc: { pending, instances: { i1: { requests, inflight } } } } };
}

function entry(r: GatewayStatsReport, at: number, baseline: GatewayStatsReport['services'] = {}): GatewayStatsEntry {
  return { gateway: r.gateway, at, baseline, last: r };
}

const noLocal: LocalStats = { services: {} };

describe('mergeGatewayStats', () => {
  const cases: {
    name: string;
    local?: LocalStats;
    entries: GatewayStatsEntry[];
    want: { inflight: number; requests: number; pending: number; gateways: string[] };
  }[] = [
    { name: 'nothing reported', entries: [], want: { inflight: 0, requests: 0, pending: 0, gateways: [] } },
    {
      name: 'two replicas sum their concurrency and requests',
      entries: [entry(report('a', 10, 3), NOW - 500), entry(report('b', 7, 4), NOW - 900)],
      want: { inflight: 7, requests: 17, pending: 0, gateways: ['a', 'b'] },
    },
    {
      name: 'the local gateway counts with them',
      local: { services: { svc: { instances: { i1: { requests: 5, inflight: 1 } } } } },
      entries: [entry(report('a', 10, 3), NOW)],
      want: { inflight: 4, requests: 15, pending: 0, gateways: ['a'] },
    },
    {
      name: 'a replica silent past staleMs drops out',
      entries: [entry(report('a', 10, 3), NOW - 500), entry(report('b', 7, 4), NOW - STALE - 1)],
      want: { inflight: 3, requests: 10, pending: 0, gateways: ['a'] },
    },
    {
      name: 'a report exactly staleMs old still counts',
      entries: [entry(report('a', 10, 3), NOW - STALE)],
      want: { inflight: 3, requests: 10, pending: 0, gateways: ['a'] },
    },
    {
      name: 'requests count from the baseline',
      entries: [entry(report('a', 110, 2), NOW, report('a', 100, 0).services)],
      want: { inflight: 2, requests: 10, pending: 0, gateways: ['a'] },
    },
    {
      name: 'held requests sum (scale from zero sees every replica)',
      entries: [entry(report('a', 0, 0, 2), NOW), entry(report('b', 0, 0, 3), NOW)],
      want: { inflight: 0, requests: 0, pending: 5, gateways: ['a', 'b'] },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const m = mergeGatewayStats(c.local ?? noLocal, c.entries, NOW, STALE);
      const svc = m.services.svc ?? { pending: 0, instances: {} };
      const counters = Object.values(svc.instances);
      expect({
        inflight: counters.reduce((n, x) => n + x.inflight, 0),
        requests: counters.reduce((n, x) => n + x.requests, 0),
        pending: svc.pending,
        gateways: m.gateways,
      }).toEqual(c.want);
    });
  }

  it('keys a replica’s instances by gateway, so one leaving is not a counter reset', () => {
    const m = mergeGatewayStats(noLocal, [entry(report('a', 1, 1), NOW), entry(report('b', 2, 1), NOW)], NOW, STALE);
    expect(Object.keys(m.services.svc?.instances ?? {}).sort()).toEqual(['i1@a', 'i1@b']);
  });

  it('sums group counts', () => {
    const a = { ...report('a', 0, 0), groups: { g: { s1: 3, s2: 1 } } };
    const b = { ...report('b', 0, 0), groups: { g: { s1: 2 } } };
    const m = mergeGatewayStats({ services: {}, groups: { g: { s2: 1 } } }, [entry(a, NOW), entry(b, NOW)], NOW, STALE);
    expect(m.groups).toEqual({ g: { s1: 5, s2: 2 } });
  });
});

describe('restarted', () => {
  it('is true when a counter went down', () => {
    expect(restarted(report('a', 10, 0).services, report('a', 3, 0).services)).toBe(true);
    expect(restarted(report('a', 10, 0).services, report('a', 10, 5).services)).toBe(false);
    expect(restarted(report('a', 10, 0).services, { svc: { instances: {} } })).toBe(false);
  });
});

describe('GatewayStatsBoard', () => {
  const requests = (b: GatewayStatsBoard) =>
    Object.values(b.merged(noLocal).services.svc?.instances ?? {}).reduce((n, c) => n + c.requests, 0);

  it('starts a replica at its first report, and again after a restart or a silence', () => {
    const clock = new ManualClock(NOW);
    const board = new GatewayStatsBoard({ clock, staleMs: STALE });
    board.report(report('a', 500, 0)); // running long before the control plane heard of it
    expect(requests(board)).toBe(0);
    clock.advance(1000);
    board.report(report('a', 520, 0));
    expect(requests(board)).toBe(20);
    clock.advance(1000);
    board.report(report('a', 4, 0)); // restarted under the same id
    expect(requests(board)).toBe(0);
    clock.advance(STALE + 1);
    expect(board.merged(noLocal).gateways).toEqual([]);
    board.report(report('a', 90, 0)); // back after a silence
    expect(requests(board)).toBe(0);
    expect(board.merged(noLocal).gateways).toEqual(['a']);
  });
});
