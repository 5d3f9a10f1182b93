import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { probeTcp } from './tcp.js';
import type { ProbeTarget } from './types.js';

const servers: net.Server[] = [];

afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((resolve) => s.close(resolve));
});

function listen(onConnection: (socket: net.Socket) => void): Promise<number> {
  const server = net.createServer(onConnection);
  servers.push(server);
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)),
  );
}

async function closedPort(): Promise<number> {
  const server = net.createServer();
  const port = await new Promise<number>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)),
  );
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const target = (port: number): ProbeTarget => ({
  host: '127.0.0.1',
  port,
  containerPort: 8000,
  exec: () => Promise.reject(new Error('unused')),
});

describe('probeTcp against real sockets', () => {
  it('an open port is success; nothing is sent and the connection is closed', async () => {
    const received: Buffer[] = [];
    let closed!: Promise<void>;
    const port = await listen((socket) => {
      socket.on('data', (d) => received.push(d));
      closed = new Promise((resolve) => socket.on('close', () => resolve()));
    });
    const out = await probeTcp({ port: 8000 }, target(port), 1000);
    expect(out.result).toBe('success');
    await closed;
    expect(Buffer.concat(received).length).toBe(0);
  });

  it('a peer that closes at once is still success', async () => {
    const port = await listen((socket) => socket.destroy());
    const out = await probeTcp({ port: 8000 }, target(port), 1000);
    expect(out.result).toBe('success');
  });

  it('a closed port is failure naming the address', async () => {
    const port = await closedPort();
    const out = await probeTcp({ port }, target(1), 1000);
    expect(out.result).toBe('failure');
    expect(out.message).toBe(`dial tcp 127.0.0.1:${port}: connection refused (ECONNREFUSED)`);
  });

  it('host field sets where to connect', async () => {
    const port = await listen((socket) => socket.destroy());
    const out = await probeTcp(
      { port: 8000, host: '127.0.0.1' },
      { ...target(port), host: 'pier-probe-test.invalid' },
      1000,
    );
    expect(out.result).toBe('success');
  });
});
