/**
 * A real redis-server (Debian's, installed by scripts/setup.sh) on a free loopback port
 * with its own temporary directory, for the Redis Streams queue backend's tests. AOF on
 * with `appendfsync always`, so what Redis acknowledged is on disk (docs/queue.md).
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { waitFor } from './wait.js';

export interface RedisServer {
  port: number;
  /** `redis://127.0.0.1:<port>/<db>` */
  url(db?: number): string;
  /** Sends one inline command and returns Redis's first reply line (e.g. `+OK`). */
  command(line: string): Promise<string>;
  output(): string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const net = await import('node:net');
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

function inline(port: number, line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = createConnection({ host: '127.0.0.1', port });
    let got = '';
    s.setTimeout(10_000, () => s.destroy(new Error(`redis did not answer ${line}`)));
    s.on('connect', () => s.write(`${line}\r\n`));
    s.on('data', (c) => {
      got += c.toString();
      const end = got.indexOf('\r\n');
      if (end >= 0) {
        s.end();
        resolve(got.slice(0, end));
      }
    });
    s.on('error', reject);
  });
}

export async function startRedisServer(): Promise<RedisServer> {
  const dir = mkdtempSync(path.join(tmpdir(), 'pier-redis-'));
  const port = await freePort();
  const child: ChildProcess = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--appendonly',
      'yes',
      '--appendfsync',
      'always',
      '--save',
      '',
      '--databases',
      '1024',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout?.on('data', (c) => {
    out += c;
  });
  child.stderr?.on('data', (c) => {
    out += c;
  });
  const exited = () => child.exitCode !== null || child.signalCode !== null;
  try {
    await waitFor(async () => !exited() && (await inline(port, 'PING')) === '+PONG', {
      what: `redis-server on port ${port} to answer PING`,
      timeoutMs: 30_000,
      intervalMs: 50,
    });
  } catch (err) {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`${(err as Error).message}\n${out}`);
  }
  return {
    port,
    url: (db = 0) => `redis://127.0.0.1:${port}/${db}`,
    command: (line) => inline(port, line),
    output: () => out,
    async stop() {
      if (!exited()) child.kill('SIGTERM');
      await waitFor(exited, { what: 'redis-server to exit', timeoutMs: 30_000 });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
