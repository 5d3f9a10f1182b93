import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.js';
import { type ApiServer, createApiServer } from './api-server.js';
import { createFakeControl } from '../../test/support/fake-control.js';
import { waitFor } from '../../test/support/wait.js';

const TOKEN = 't0ken';
let api: ApiServer | undefined;

afterEach(async () => {
  await api?.close();
  api = undefined;
});

/** Reads a streamed body line by line (or chunk by chunk) as it arrives. */
function reader(body: ReadableStream<Uint8Array>) {
  const it = body[Symbol.asyncIterator]();
  const decoder = new TextDecoder();
  let buffer = '';
  return {
    async until(predicate: (text: string) => boolean): Promise<string> {
      while (!predicate(buffer)) {
        const next = await it.next();
        if (next.done) throw new Error(`stream ended early; got: ${buffer}`);
        buffer += decoder.decode(next.value, { stream: true });
      }
      return buffer;
    },
    async rest(): Promise<string> {
      for (;;) {
        const next = await it.next();
        if (next.done) return buffer;
        buffer += decoder.decode(next.value, { stream: true });
      }
    },
  };
}

describe('GET /api/v1/endpoints/watch', () => {
  it('sends the current snapshot, every new one, and heartbeats, then unsubscribes', async () => {
    const control = createFakeControl();
    const clock = new ManualClock();
    api = createApiServer({ control, adminToken: TOKEN, clock, heartbeatMs: 10_000 });
    const port = await api.listen(0, '127.0.0.1');
    const abort = new AbortController();
    const res = await fetch(`http://127.0.0.1:${port}/api/v1/endpoints/watch`, {
      headers: { authorization: TOKEN },
      signal: abort.signal,
    });
    expect(res.headers.get('content-type')).toBe('application/x-ndjson');
    const r = reader(res.body!);
    const lines = (text: string) => text.split('\n').filter(Boolean);
    expect(JSON.parse(lines(await r.until((t) => lines(t).length >= 1))[0]!)).toEqual({ version: 1, services: {} });

    control.endpoints.publish({ version: 2, services: {} });
    expect(JSON.parse(lines(await r.until((t) => lines(t).length >= 2))[1]!)).toEqual({ version: 2, services: {} });

    clock.advance(10_000);
    expect(JSON.parse(lines(await r.until((t) => lines(t).length >= 3))[2]!)).toEqual({ heartbeat: true });

    abort.abort();
    await waitFor(() => control.endpoints.listeners() === 0, { what: 'the stream to unsubscribe', timeoutMs: 5000 });
    expect(control.endpoints.listeners()).toBe(0);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('ends open watch streams when the server closes', async () => {
    const control = createFakeControl();
    api = createApiServer({ control, adminToken: TOKEN });
    const port = await api.listen(0, '127.0.0.1');
    const res = await fetch(`http://127.0.0.1:${port}/api/v1/endpoints/watch`, { headers: { authorization: TOKEN } });
    const r = reader(res.body!);
    await r.until((t) => t.includes('\n'));
    await api.close();
    await r.rest().catch(() => '');
    expect(control.endpoints.listeners()).toBe(0);
  });
});

describe('GET /api/v1/services/{name}/logs?follow=1', () => {
  it('streams the tail, then chunks as they come, and aborts the follow when the client leaves', async () => {
    let emit: ((text: string) => void) | undefined;
    let aborted = false;
    const control = createFakeControl({
      logs: async () => 'old line\n',
      followLogs: async (_name, query, onChunk, signal) => {
        expect(query).toEqual({ instance: 'demo-1' });
        emit = onChunk;
        await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
        aborted = true;
      },
    });
    api = createApiServer({ control, adminToken: TOKEN });
    const port = await api.listen(0, '127.0.0.1');
    const abort = new AbortController();
    const res = await fetch(`http://127.0.0.1:${port}/api/v1/services/demo/logs?follow=1&instance=demo-1`, {
      headers: { authorization: `Bearer ${TOKEN}` },
      signal: abort.signal,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const r = reader(res.body!);
    await r.until((t) => t.includes('old line\n'));
    await waitFor(() => emit, { what: 'the log follower to subscribe', timeoutMs: 5000 });
    emit!('new line\n');
    expect(await r.until((t) => t.includes('new line\n'))).toBe('old line\nnew line\n');
    abort.abort();
    await waitFor(() => aborted, { what: 'the follower to see the abort', timeoutMs: 5000 });
    expect(aborted).toBe(true);
  });

  it('ends the stream with a line naming the error when following fails after the 200', async () => {
    const control = createFakeControl({
      logs: async () => 'old line\n',
      followLogs: async (_name, _query, onChunk) => {
        onChunk('new line\n');
        throw new Error('the instance log file went away');
      },
    });
    api = createApiServer({ control, adminToken: TOKEN });
    const port = await api.listen(0, '127.0.0.1');
    const res = await fetch(`http://127.0.0.1:${port}/api/v1/services/demo/logs?follow=1`, {
      headers: { authorization: TOKEN },
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(
      'old line\nnew line\n\npier: following the logs stopped: the instance log file went away (INTERNAL)\n',
    );
  });

  it('answers 404 before streaming for an unknown service', async () => {
    api = createApiServer({ control: createFakeControl(), adminToken: TOKEN });
    const port = await api.listen(0, '127.0.0.1');
    const res = await fetch(`http://127.0.0.1:${port}/api/v1/services/ghost/logs?follow=1`, {
      headers: { authorization: TOKEN },
    });
    expect(res.status).toBe(404);
    expect((await res.json()).code).toBe('SERVICE_NOT_FOUND');
  });
});
