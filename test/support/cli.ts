/**
 * For the CLI tests: a real API server on loopback backed by a fake ControlPlane,
 * and `run(argv)` that calls main() in-process and captures stdout/stderr.
 */

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { type ApiServer, type ControlPlane, createApiServer } from '../../src/api/index.js';
import { createFakeControl } from './fake-control.js';
import { main } from '../../src/cli/main.js';

export const ADMIN = 'cli-test-admin-token';

export interface Harness {
  url: string;
  dir: string;
  control: ControlPlane;
  write(name: string, content: unknown): string;
  run(
    argv: string[],
    extra?: { signal?: AbortSignal; env?: Record<string, string>; onStdout?: (soFar: string) => void },
  ): Promise<RunResult>;
  close(): Promise<void>;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

function capture(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (c) => {
    text += c;
  });
  return { stream, text: () => text };
}

export async function startHarness(overrides: Partial<ControlPlane> = {}): Promise<Harness> {
  const control = createFakeControl(overrides);
  const api: ApiServer = createApiServer({ control, adminToken: ADMIN });
  const port = await api.listen(0, '127.0.0.1');
  const url = `http://127.0.0.1:${port}`;
  const dir = mkdtempSync(join(tmpdir(), 'pier-cli-'));
  return {
    url,
    dir,
    control,
    write(name, content) {
      const path = join(dir, name);
      writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
      return path;
    },
    async run(argv, extra = {}) {
      const out = capture();
      if (extra.onStdout) out.stream.on('data', () => extra.onStdout?.(out.text()));
      const err = capture();
      const stdin = new PassThrough();
      const code = await main(argv, {
        stdout: out.stream,
        stderr: err.stream,
        stdin,
        cwd: dir,
        env: { PIER_CONTROL_URL: url, PIER_ADMIN_TOKEN: ADMIN, ...extra.env },
        pollMs: 5,
        ...(extra.signal ? { signal: extra.signal } : {}),
      });
      await new Promise((r) => setImmediate(r));
      return { code, stdout: out.text(), stderr: err.text() };
    },
    async close() {
      await api.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
