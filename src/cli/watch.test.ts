import { afterEach, describe, expect, it } from 'vitest';
import type { InstanceView } from '../api/index.js';
import type { EventRecord } from '../store/index.js';
import { type Harness, startHarness } from '../../test/support/cli.js';

let h: Harness | undefined;
afterEach(() => h?.close());

const event = (id: number, reason: string): EventRecord =>
  ({ id, service: 'demo', type: 'Normal', reason, message: `m${id}`, time: 1_700_000_000_000 + id }) as EventRecord;

describe('-w / --watch (issue 15)', () => {
  it('pier events -w prints the header once, then each new event as it happens', async () => {
    const recorded = [event(1, 'Scheduled')];
    h = await startHarness({ events: (_n, q) => recorded.filter((e) => e.id > (q?.sinceId ?? 0)) });
    const abort = new AbortController();
    const result = await h.run(['events', 'demo', '-w'], {
      signal: abort.signal,
      onStdout: (text) => {
        if (text.includes('Scheduled') && recorded.length === 1) recorded.push(event(2, 'Ready'));
        if (text.includes('Ready')) abort.abort();
      },
    });
    expect(result.code).toBe(0);
    expect(result.stdout.match(/REASON/g)).toHaveLength(1);
    expect(result.stdout.indexOf('Scheduled')).toBeLessThan(result.stdout.indexOf('Ready'));
  });

  it('pier w NAME -w prints the instances again when they change', async () => {
    let state: InstanceView['state'] = 'Starting';
    const view = (): InstanceView[] => [
      {
        id: 'demo-1',
        service: 'demo',
        revision: 1,
        state,
        ready: state === 'Running',
        restarts: 0,
        address: null,
        startedAt: null,
        probes: {},
        platform: { kind: 'local', runtime: 'process', pid: 4242 },
      },
    ];
    h = await startHarness({ instances: view });
    const abort = new AbortController();
    const result = await h.run(['w', 'demo', '--watch'], {
      signal: abort.signal,
      onStdout: (text) => {
        if (text.includes('Starting')) state = 'Running';
        if (text.includes('Running')) abort.abort();
      },
    });
    expect(result.code).toBe(0);
    expect(result.stdout.match(/RESTARTS/g)).toHaveLength(2);
    expect(result.stdout).toContain('process pid 4242');
  });

  it('pier ls -w prints the service list', async () => {
    h = await startHarness();
    const abort = new AbortController();
    const result = await h.run(['ls', '-w'], {
      signal: abort.signal,
      onStdout: (text) => {
        if (text.includes('demo')) abort.abort();
      },
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('demo');
  });
});
