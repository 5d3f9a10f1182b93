import net from 'node:net';
import { type handleUnaryCall, Server, ServerCredentials, type ServiceDefinition, status } from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { probeGrpc } from './grpc.js';
import { decodeHealthResponse, encodeHealthRequest } from './grpc-health.js';
import type { ProbeTarget } from './types.js';

/** A real @grpc/grpc-js server with grpc.health.v1 Health/Check (messages hand-coded like the prober's). */
const HEALTH: ServiceDefinition = {
  check: {
    path: '/grpc.health.v1.Health/Check',
    requestStream: false,
    responseStream: false,
    requestSerialize: (v: { service: string }) => encodeHealthRequest(v.service).subarray(5),
    requestDeserialize: (b: Buffer) => {
      const framed = Buffer.alloc(5 + b.length);
      framed.writeUInt32BE(b.length, 1);
      b.copy(framed, 5);
      // The request is field 1 as a string: tag, length, bytes.
      return { service: b.length === 0 ? '' : b.subarray(2).toString(), framed };
    },
    responseSerialize: (v: { status: number }) => (v.status === 0 ? Buffer.alloc(0) : Buffer.from([0x08, v.status])),
    responseDeserialize: (b: Buffer) => ({ status: b[1] ?? 0 }),
  },
};

const servers: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

async function healthServer(statuses: Record<string, number> | undefined): Promise<number> {
  const server = new Server();
  if (statuses) {
    const check: handleUnaryCall<{ service: string }, { status: number }> = (call, cb) => {
      const s = statuses[call.request.service];
      if (s === undefined) cb({ code: status.NOT_FOUND, details: 'unknown service' });
      else cb(null, { status: s });
    };
    server.addService(HEALTH, { check });
  }
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  servers.push({ close: async () => server.forceShutdown() });
  return port;
}

async function rawServer(onConnection: (socket: net.Socket) => void): Promise<number> {
  const server = net.createServer(onConnection);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const sockets = new Set<net.Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  servers.push({
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  });
  return (server.address() as net.AddressInfo).port;
}

const target = (port: number): ProbeTarget => ({
  host: '127.0.0.1',
  port,
  containerPort: 8000,
  exec: () => Promise.reject(new Error('unused')),
});

describe('grpc.health.v1 messages', () => {
  it('encodes the request and decodes the status, skipping unknown fields', () => {
    expect(encodeHealthRequest('')).toEqual(Buffer.from([0, 0, 0, 0, 0]));
    expect(encodeHealthRequest('ab')).toEqual(Buffer.from([0, 0, 0, 0, 4, 0x0a, 2, 0x61, 0x62]));
    const frame = (body: number[]) => Buffer.from([0, 0, 0, 0, body.length, ...body]);
    expect(decodeHealthResponse(frame([0x08, 1]))).toBe(1);
    expect(decodeHealthResponse(frame([]))).toBe(0);
    expect(decodeHealthResponse(frame([0x12, 1, 0x41, 0x08, 2]))).toBe(2);
    expect(decodeHealthResponse(Buffer.alloc(0))).toBe('no response message');
    expect(decodeHealthResponse(frame([0x08]))).toBe('malformed response message');
  });
});

describe('probeGrpc against a real gRPC server', () => {
  it('SERVING is success; the container port maps to the instance port', async () => {
    const port = await healthServer({ '': 1 });
    const out = await probeGrpc({ port: 8000 }, target(port), 1000);
    expect(out).toEqual({ result: 'success', message: 'grpc health server: SERVING' });
  });

  it('asks about the named service', async () => {
    const port = await healthServer({ '': 2, model: 1 });
    expect((await probeGrpc({ port, service: 'model' }, target(1), 1000)).result).toBe('success');
    expect(await probeGrpc({ port }, target(1), 1000)).toEqual({
      result: 'failure',
      message: 'service unhealthy (responded with "NOT_SERVING")',
    });
  });

  it('an unknown service (NOT_FOUND) and a server without the health service fail with the reason', async () => {
    const port = await healthServer({ '': 1 });
    const unknown = await probeGrpc({ port, service: 'nope' }, target(1), 1000);
    expect(unknown.result).toBe('failure');
    expect(unknown.message).toContain('grpc-status 5: unknown service');
    const bare = await healthServer(undefined);
    const none = await probeGrpc({ port: bare }, target(1), 1000);
    expect(none.result).toBe('failure');
    expect(none.message).toContain('does not implement the grpc health protocol');
  });

  it('a closed port fails naming the address', async () => {
    const port = await rawServer(() => {});
    await servers.pop()!.close();
    const out = await probeGrpc({ port }, target(1), 1000);
    expect(out).toEqual({
      result: 'failure',
      message: `failed to connect service "127.0.0.1:${port}": connection refused (ECONNREFUSED)`,
    });
  });

  it('a server that never answers fails at the timeout', async () => {
    const port = await rawServer(() => {});
    const out = await probeGrpc({ port }, target(1), 200);
    expect(out.result).toBe('failure');
    expect(out.message).toMatch(/^timeout: /);
  });

  it('a server that is not HTTP/2 fails', async () => {
    const port = await rawServer((s) => s.end('HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n'));
    const out = await probeGrpc({ port }, target(1), 1000);
    expect(out.result).toBe('failure');
  });
});
