import { type IncomingMessage, request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { ManualClock } from '../clock.js';
import { type Backend, type Harness, service, startBackend, startGateway, TOKEN } from '../../test/support/gateway.js';
import { waitFor } from '../../test/support/wait.js';

const auth = { authorization: TOKEN };

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

function open(port: number, path: string, method = 'GET'): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers: auth, agent: false }, resolve);
    req.on('error', reject);
    req.end();
  });
}

describe('gateway streaming', () => {
  let backend: Backend | undefined;
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.gw.close();
    await backend?.close();
  });

  it('passes SSE events through as they come (first event before the last is produced)', async () => {
    const last = deferred();
    const order: string[] = [];
    backend = await startBackend(async (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write('data: first\n\n');
      await last.promise;
      order.push('backend sends last');
      res.end('data: last\n\n');
    });
    const clock = new ManualClock();
    h = await startGateway(
      [service('llm', [backend.endpoint('a')], { rpc: { keepalive: 1000, worker_threads: 5, max_queue_size: 5 } })],
      { clock },
    );
    const res = await open(h.port, '/api/predict/llm/v1/chat/completions', 'POST');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/event-stream');
    let text = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      text += chunk;
      if (chunk.includes('first')) order.push('client got first');
    });
    await waitFor(() => text.includes('data: first'), { what: 'first event', timeoutMs: 10_000 });
    clock.advance(60_000); // rpc.keepalive never cuts a response that has started
    last.resolve();
    await new Promise((r) => res.on('end', r));
    expect(order).toEqual(['client got first', 'backend sends last']);
    expect(text).toBe('data: first\n\ndata: last\n\n');
  });

  it('passes a NUL-delimited stream through (LangChain EAS chat)', async () => {
    const more = deferred();
    backend = await startBackend(async (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.write('{"response":"Hel"}\0');
      await more.promise;
      res.write('{"response":"Hello"}\0');
      res.end();
    });
    h = await startGateway([service('chat', [backend.endpoint('a')])]);
    const res = await open(h.port, '/api/predict/chat', 'POST');
    const parts: string[] = [];
    let buf = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      buf += chunk;
      const pieces = buf.split('\0');
      buf = pieces.pop()!;
      parts.push(...pieces);
    });
    await waitFor(() => parts.length === 1, { what: 'first NUL-delimited part', timeoutMs: 10_000 });
    more.resolve();
    await new Promise((r) => res.on('end', r));
    expect(parts.map((p) => JSON.parse(p).response)).toEqual(['Hel', 'Hello']);
  });

  it('streams the request body without buffering it (full duplex echo)', async () => {
    backend = await startBackend((req, res) => {
      res.writeHead(200);
      req.on('data', (c: Buffer) => res.write(c));
      req.on('end', () => res.end());
    });
    h = await startGateway([service('dup', [backend.endpoint('a')])]);
    const req = request({
      host: '127.0.0.1',
      port: h.port,
      path: '/api/predict/dup',
      method: 'POST',
      headers: { ...auth, 'transfer-encoding': 'chunked' },
      agent: false,
    });
    const resP = new Promise<IncomingMessage>((r) => req.on('response', r));
    req.write('one;');
    const res = await resP;
    let got = '';
    res.on('data', (c: Buffer) => {
      got += c.toString();
    });
    await waitFor(() => got === 'one;', { what: 'echo of the first chunk', timeoutMs: 10_000 });
    req.write('two;');
    await waitFor(() => got === 'one;two;', { what: 'echo of the second chunk', timeoutMs: 10_000 });
    req.end();
    await new Promise((r) => res.on('end', r));
  });

  it('tunnels WebSocket to an instance, counts it for drain, and requires auth', async () => {
    backend = await startBackend(() => {});
    const wss = new WebSocketServer({ server: backend.server });
    const paths: string[] = [];
    wss.on('connection', (sock, req) => {
      paths.push(req.url ?? '');
      sock.on('message', (m) => sock.send(`echo:${m}`));
    });
    h = await startGateway([service('ws', [backend.endpoint('w1')])]);
    const client = new WebSocket(`ws://127.0.0.1:${h.port}/api/predict/ws/socket?room=1`, { headers: auth });
    await new Promise((resolve, reject) => {
      client.once('open', resolve);
      client.once('error', reject);
    });
    const reply = new Promise<string>((r) => client.once('message', (m) => r(String(m))));
    client.send('hello');
    expect(await reply).toBe('echo:hello');
    expect(paths).toEqual(['/socket?room=1']);
    expect(h.gw.inflight('w1')).toBe(1);
    expect(await h.gw.waitForIdle('w1', 50)).toBe(false);
    const idle = h.gw.waitForIdle('w1', 10_000);
    client.close();
    expect(await idle).toBe(true);

    const denied = new WebSocket(`ws://127.0.0.1:${h.port}/api/predict/ws/socket`);
    const status = await new Promise<number>((resolve) => {
      denied.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      denied.on('error', () => resolve(-1));
    });
    expect(status).toBe(401);
    wss.close();
  });
});
