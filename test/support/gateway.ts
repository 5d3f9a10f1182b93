import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Gateway, type GatewayOptions, createGateway } from '../../src/gateway/gateway.js';
import { createEndpointStore, type EndpointStore } from '../../src/gateway/store.js';
import type { Endpoint, GroupRoute, ServiceRoute } from '../../src/gateway/types.js';

/** Shared by the gateway tests: real backends and a real gateway on 127.0.0.1:0. */

export interface Backend {
  port: number;
  server: Server;
  endpoint(id?: string): Endpoint;
  close(): Promise<void>;
}

export async function startBackend(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<Backend> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    server,
    endpoint: (id = `i-${port}`) => ({ instanceId: id, host: '127.0.0.1', port, revision: 1 }),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A backend that holds every request until the test releases it, and tells which ones the gateway aborted. */
export async function holdingBackend() {
  const held: { req: IncomingMessage; res: ServerResponse; aborted: boolean }[] = [];
  const backend = await startBackend((req, res) => {
    const entry = { req, res, aborted: false };
    res.on('close', () => {
      if (!res.writableEnded) entry.aborted = true;
    });
    held.push(entry);
  });
  const releaseAll = () => {
    for (const e of held) if (!e.res.writableEnded && !e.aborted) e.res.end('done');
  };
  return { backend, held, releaseAll };
}

export const TOKEN = 'tok3n-ABC_abc.xyz==';

export function service(name: string, endpoints: Endpoint[], over: Partial<ServiceRoute> = {}): ServiceRoute {
  return {
    name,
    token: TOKEN,
    endpoints,
    stopped: false,
    rpc: { keepalive: 5000, worker_threads: 5, max_queue_size: 64 },
    enableGrpc: false,
    enableWebservice: false,
    ...over,
  };
}

export interface Harness {
  gw: Gateway;
  store: EndpointStore;
  port: number;
  url: string;
}

export async function startGateway(services: ServiceRoute[], opts: Partial<GatewayOptions> = {}): Promise<Harness> {
  const store = createEndpointStore({ version: 1, services: Object.fromEntries(services.map((s) => [s.name, s])) });
  const gw = createGateway({ source: store, ...opts });
  const port = await gw.listen(0, '127.0.0.1');
  return { gw, store, port, url: `http://127.0.0.1:${port}` };
}

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One HTTP call with node's client (no pooling unless an agent is given). */
export function call(
  port: number,
  path: string,
  opts: {
    method?: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
    agent?: import('node:http').Agent;
  } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: opts.method ?? 'GET',
        headers: opts.headers,
        agent: opts.agent ?? false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** A backend answering with what it saw. */
export function echoHandler(req: IncomingMessage, res: ServerResponse): void {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = JSON.stringify({
      method: req.method,
      url: req.url,
      headers: req.headers,
      body: Buffer.concat(chunks).toString(),
    });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(body);
  });
}

export const GROUP_TOKEN = 'group-token-0123456789';

/** Group `g` at custom weights a=80, b=20, with GROUP_TOKEN. */
export function groupRoute(over: Partial<GroupRoute> = {}): GroupRoute {
  return {
    name: 'g',
    token: GROUP_TOKEN,
    mode: 'custom',
    members: [
      { service: 'a', weight: 80, standalone: false },
      { service: 'b', weight: 20, standalone: false },
    ],
    ...over,
  };
}
