import type { IncomingMessage } from 'node:http';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { type Backend, type Harness, service, startBackend, startGateway } from '../../../test/support/gateway.js';
import { waitFor } from '../../../test/support/wait.js';
import type { GroupRoute, ServiceRoute } from '../types.js';
import { seededRandom } from '../../../test/support/random.js';
import { GROUP_TOKEN, groupRoute } from '../../../test/support/gateway.js';

/** Issue 17: a WebSocket upgrade to a group endpoint picks a member as an HTTP call does. */

const A_TOKEN = 'a-token-0123456789';
const B_TOKEN = 'b-token-0123456789';

/** What one upgrade got: the status, and on 101 the instance and path the instance saw. */
interface Opened {
  status: number;
  id: string;
  url: string;
  body: string;
}

function open(port: number, path: string, headers: Record<string, string>): Promise<Opened> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, { headers });
    ws.once('message', (m) => {
      const { id, url } = JSON.parse(String(m)) as { id: string; url: string };
      ws.once('close', () => resolve({ status: 101, id, url, body: '' }));
      ws.close();
    });
    ws.once('unexpected-response', (_req, res: IncomingMessage) => {
      let body = '';
      res.on('data', (c: Buffer) => {
        body += c.toString();
      });
      res.once('end', () => {
        resolve({ status: res.statusCode ?? 0, id: '', url: '', body });
        ws.terminate();
      });
    });
    ws.once('error', () => resolve({ status: -1, id: '', url: '', body: '' }));
  });
}

describe('group endpoint over WebSocket (issue 17)', () => {
  const backends: Backend[] = [];
  const servers: WebSocketServer[] = [];
  let h: Harness | undefined;
  let a: ServiceRoute;
  let b: ServiceRoute;
  const registry = new Registry();

  afterEach(async () => {
    await h?.gw.close();
    h = undefined;
    registry.clear();
    for (const s of servers.splice(0)) s.close();
    for (const x of backends.splice(0)) await x.close();
  });

  async function wsBackend(id: string): Promise<Backend> {
    const backend = await startBackend(() => {});
    const wss = new WebSocketServer({ server: backend.server });
    wss.on('connection', (sock, req) => sock.send(JSON.stringify({ id, url: req.url })));
    servers.push(wss);
    backends.push(backend);
    return backend;
  }

  async function start(g: GroupRoute, random?: () => number) {
    const [a1, a2, b1] = [await wsBackend('a1'), await wsBackend('a2'), await wsBackend('b1')];
    a = service('a', [a1.endpoint('a1'), a2.endpoint('a2')], { token: A_TOKEN });
    b = service('b', [b1.endpoint('b1')], { token: B_TOKEN });
    h = await startGateway([a, b], { registry, ...(random ? { random } : {}) });
    h.store.set({ version: 2, services: { a, b }, groups: { g } });
    return h.port;
  }

  it('the group token opens the group and the sub-path reaches the member; a member token or none does not', async () => {
    const port = await start(groupRoute());
    const r = await open(port, '/api/predict/g/socket?room=1', { authorization: GROUP_TOKEN });
    expect(r.status).toBe(101);
    expect(r.url).toBe('/socket?room=1');
    expect((await open(port, '/api/predict/g', { authorization: `Bearer ${GROUP_TOKEN}` })).status).toBe(101);
    expect((await open(port, '/api/predict/g', { authorization: A_TOKEN })).status).toBe(401);
    expect((await open(port, '/api/predict/g', {})).status).toBe(401);
    // Members keep their own endpoints, with their own tokens only.
    expect((await open(port, '/api/predict/a', { authorization: A_TOKEN })).id).toMatch(/^a/);
    expect((await open(port, '/api/predict/a', { authorization: GROUP_TOKEN })).status).toBe(401);
  });

  it('pins by <group>.<service> and X-Pier-Service, with the group token or that member’s own; 404 for a non-member', async () => {
    const port = await start(
      groupRoute({
        members: [
          { service: 'a', weight: 1000, standalone: false },
          { service: 'b', weight: 0, standalone: true },
        ],
      }),
    );
    for (let i = 0; i < 5; i++) {
      expect((await open(port, '/api/predict/g.b/x', { authorization: GROUP_TOKEN })).id).toBe('b1');
      expect((await open(port, '/api/predict/g', { authorization: GROUP_TOKEN, 'x-pier-service': 'b' })).id).toBe('b1');
    }
    expect((await open(port, '/api/predict/g.b', { authorization: B_TOKEN })).id).toBe('b1');
    expect((await open(port, '/api/predict/g', { authorization: B_TOKEN, 'x-pier-service': 'b' })).id).toBe('b1');
    // A member's token opens only that member, and never the group unpinned.
    expect((await open(port, '/api/predict/g.b', { authorization: A_TOKEN })).status).toBe(401);
    expect((await open(port, '/api/predict/g', { authorization: B_TOKEN })).status).toBe(401);
    const missing = await open(port, '/api/predict/g.nope', { authorization: GROUP_TOKEN });
    expect(missing.status).toBe(404);
    expect(missing.body).toContain('not in group');
    // A dotted name that is no group is no route of a service either.
    expect((await open(port, '/api/predict/a.b', { authorization: A_TOKEN })).status).toBe(404);
  });

  it('splits 200 connections 80/20 by weight (seeded random) and counts them for the group', async () => {
    const port = await start(groupRoute(), seededRandom(42));
    const seen: Record<string, number> = { a: 0, b: 0 };
    for (let i = 0; i < 200; i++) {
      const { id } = await open(port, '/api/predict/g', { authorization: GROUP_TOKEN });
      seen[id.startsWith('a') ? 'a' : 'b']!++;
    }
    expect(Math.abs(seen.a! / 200 - 0.8)).toBeLessThan(0.08);
    await waitFor(() => (h!.gw.stats().groups?.g?.a ?? 0) + (h!.gw.stats().groups?.g?.b ?? 0) === 200, {
      what: 'every tunnel counted for the group',
    });
    expect(h!.gw.stats().groups).toEqual({ g: { a: seen.a, b: seen.b } });
  });

  it('affinity keeps a key on one member and one instance', async () => {
    const port = await start(groupRoute({ affinity: { kind: 'header', key: 'x-session' } }));
    const ids = new Set<string>();
    for (let k = 0; k < 30; k++) {
      const picks = new Set<string>();
      for (let i = 0; i < 3; i++) {
        picks.add((await open(port, '/api/predict/g', { authorization: GROUP_TOKEN, 'x-session': `u-${k}` })).id);
      }
      expect(picks.size).toBe(1);
      for (const id of picks) ids.add(id);
    }
    expect(ids).toEqual(new Set(['a1', 'a2', 'b1']));
  });

  it('answers 503 when no member has a ready instance, and still 401 to a stranger', async () => {
    const port = await start(groupRoute());
    h!.store.set({
      version: 3,
      services: { a: { ...a, endpoints: [] }, b: { ...b, endpoints: [] } },
      groups: { g: groupRoute() },
    });
    const r = await open(port, '/api/predict/g', { authorization: GROUP_TOKEN });
    expect(r.status).toBe(503);
    expect(r.body).toContain('no healthy upstream');
    expect((await open(port, '/api/predict/g', { authorization: 'nope' })).status).toBe(401);
    // A group token learns of unknown names (404); a stranger does not (401).
    expect((await open(port, '/api/predict/nosuch', { authorization: GROUP_TOKEN })).status).toBe(404);
    expect((await open(port, '/api/predict/nosuch', { authorization: 'stranger' })).status).toBe(401);
  });
});
