import { afterEach, describe, expect, it } from 'vitest';
import type { EventRecord } from '../store/index.js';
import { createFakeControl } from '../../test/support/fake-control.js';
import { waitFor } from '../../test/support/wait.js';
import { type ApiServer, createApiServer } from './api-server.js';
import type { ControlPlane } from './control-plane.js';

const TOKEN = 'admin-secret-token';
let api: ApiServer | undefined;
const aborts: AbortController[] = [];

afterEach(async () => {
  for (const a of aborts.splice(0)) a.abort();
  await api?.close();
  api = undefined;
});

async function start(control: ControlPlane): Promise<string> {
  api = createApiServer({ control, adminToken: TOKEN, watchPollMs: 20 });
  return `http://127.0.0.1:${await api.listen(0, '127.0.0.1')}`;
}

/** Opens an NDJSON stream and collects its lines; `ended` resolves when the server ends it. */
async function open(url: string) {
  const abort = new AbortController();
  aborts.push(abort);
  const res = await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` }, signal: abort.signal });
  const lines: unknown[] = [];
  let buffered = '';
  const ended = (async () => {
    try {
      for await (const chunk of res.body!.pipeThrough(new TextDecoderStream())) {
        buffered += chunk;
        const parts = buffered.split('\n');
        buffered = parts.pop()!;
        for (const p of parts) lines.push(JSON.parse(p));
      }
    } catch {
      // aborted by the test
    }
  })();
  return { res, lines, ended };
}

const event = (id: number): EventRecord =>
  ({ id, service: 'demo', time: id, type: 'Normal', reason: `R${id}`, message: `m${id}` }) as EventRecord;

describe('?watch=true (issue 15)', () => {
  it('streams events: the existing ones, then each new one once, and ends when the service goes', async () => {
    const recorded = [event(1), event(2)];
    let gone = false;
    const control = createFakeControl({
      events: (_name, q) => {
        if (gone) throw new Error('SERVICE_NOT_FOUND');
        return recorded.filter((e) => e.id > (q?.sinceId ?? 0));
      },
    });
    const base = await start(control);
    const s = await open(`${base}/api/v1/services/demo/events?watch=true`);
    expect(s.res.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    await waitFor(() => s.lines.length === 2, { what: 'the two existing events' });
    recorded.push(event(3));
    await waitFor(() => s.lines.length === 3, { what: 'the new event' });
    expect(s.lines.map((e) => (e as EventRecord).reason)).toEqual(['R1', 'R2', 'R3']);
    gone = true;
    await s.ended;
  });

  it('streams the instance list again only when it changes', async () => {
    let state: 'Starting' | 'Running' = 'Starting';
    let reads = 0;
    const control = createFakeControl({
      instances: () => {
        reads++;
        return [
          {
            id: 'a',
            service: 'demo',
            revision: 1,
            state,
            ready: state === 'Running',
            restarts: 0,
            address: null,
            startedAt: null,
            probes: {},
          },
        ];
      },
    });
    const base = await start(control);
    const s = await open(`${base}/api/v1/services/demo/instances?watch=1`);
    await waitFor(() => s.lines.length === 1, { what: 'the first list' });
    const before = reads;
    await waitFor(() => reads >= before + 3, { what: 'a few polls without a change' });
    expect(s.lines).toHaveLength(1);
    state = 'Running';
    await waitFor(() => s.lines.length === 2, { what: 'the changed list' });
    expect((s.lines[1] as { state: string }[])[0]!.state).toBe('Running');
  });

  it('answers 404 before streaming for an unknown service', async () => {
    const base = await start(createFakeControl());
    const res = await fetch(`${base}/api/v1/services/nope/instances?watch=true`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(res.status).toBe(404);
  });
});
