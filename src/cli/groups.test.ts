import { describe, expect, it } from 'vitest';
import { descTable, trafficRequest } from './commands/groups.js';
import { CliError } from './errors.js';

describe('pier group traffic arguments', () => {
  it('turns SERVICE=WEIGHT pairs and flags into one request', () => {
    expect(trafficRequest(['svcA=90', 'svcB=10'], {})).toEqual({ weights: { svcA: 90, svcB: 10 } });
    expect(trafficRequest([], { mode: 'auto', standalone: ['a'], grouping: ['b'] })).toEqual({
      mode: 'auto',
      standalone: { a: true, b: false },
    });
    expect(trafficRequest([], { affinityHeader: 'X-Session' })).toEqual({ affinity: { header: 'X-Session' } });
    expect(trafficRequest([], { affinityCookie: 'sid' })).toEqual({ affinity: { cookie: 'sid' } });
    expect(trafficRequest([], { affinity: false })).toEqual({ affinity: null });
  });

  it('refuses what is no SERVICE=WEIGHT, and a call that changes nothing (exit 2)', () => {
    for (const bad of [['svcA'], ['svcA=x'], ['=3'], ['svcA=-1']]) {
      expect(() => trafficRequest(bad, {})).toThrow(CliError);
    }
    expect(() => trafficRequest([], {})).toThrow(/nothing to change/);
    expect(() => trafficRequest([], { affinityHeader: 'a', affinityCookie: 'b' })).toThrow(/one of/);
  });

  it('shows weight, share now and the measured split per member', () => {
    const lines = descTable({
      name: 'g',
      token: 'tok',
      mode: 'custom',
      endpoint: 'http://127.0.0.1:8080/api/predict/g',
      createdAt: 0,
      members: [
        { service: 'a', weight: 80, standalone: false, ready: 1, share: 80, requests: 30 },
        { service: 'b', weight: 20, standalone: true, ready: 1, share: 0, requests: 10 },
      ],
    }).join('\n');
    expect(lines).toContain('custom (by weight)');
    expect(lines).toMatch(/a\s+80\s+1\s+grouping\s+80%\s+30\s+75\.0%/);
    expect(lines).toMatch(/b\s+20\s+1\s+standalone\s+0%\s+10\s+25\.0%/);
  });
});
