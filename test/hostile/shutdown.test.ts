/**
 * Issue 12, defect 9: after any delete, `pier server` took 120 s to exit on
 * SIGTERM, because the delete's bounded wait left its timer running. The server
 * must exit by itself once its work is done: no timer may be left behind.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ServiceDescription } from '../../src/api/index.js';
import { callApi, fixtureSpec, freePort, type PierChild, startPierProcess } from '../e2e/helpers.js';
import { waitFor } from '../support/wait.js';

const TOKEN = 'hostile-shutdown-admin-token-0123456789';
/** Far below the 120 s the leaked timer held the process, far above a normal shutdown. */
const EXIT_BOUND_MS = 60_000;

let pier: PierChild | undefined;
let home: string | undefined;
afterEach(() => {
  if (pier && pier.child.exitCode === null && pier.child.signalCode === null) pier.child.kill('SIGKILL');
  pier = undefined;
  if (home) rmSync(home, { recursive: true, force: true });
  home = undefined;
});

function exited(child: PierChild['child']): Promise<{ code: number | null; signal: string | null }> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

describe('shutdown after a delete (issue 12, defect 9)', () => {
  it('pier server exits on SIGTERM without waiting out the delete bound', async () => {
    home = mkdtempSync(path.join(tmpdir(), 'pier-hostile-shutdown-'));
    pier = await startPierProcess(home, await freePort(), await freePort(), TOKEN);
    const api = <T>(method: string, route: string, body?: unknown) =>
      callApi<T>(pier!.controlUrl, TOKEN, method, route, body);
    expect((await api('POST', '/api/v1/services', fixtureSpec('bye'))).status).toBe(201);
    await waitFor(
      async () => (await api<ServiceDescription>('GET', '/api/v1/services/bye')).body.status === 'Running',
      { what: 'bye to run', timeoutMs: 60_000 },
    );
    expect((await api('DELETE', '/api/v1/services/bye')).status).toBe(200);

    const exit = exited(pier.child);
    pier.child.kill('SIGTERM');
    let bound: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      exit.then((e) => ({ exited: true as const, ...e })),
      new Promise<{ exited: false }>((resolve) => {
        bound = setTimeout(() => resolve({ exited: false }), EXIT_BOUND_MS);
      }),
    ]);
    clearTimeout(bound);
    expect(outcome, pier.output()).toMatchObject({ exited: true, code: 0 });
  });
});
