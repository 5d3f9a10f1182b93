import { describe, expect, it } from 'vitest';
import { MAX_PROBE_ATTEMPTS, runProbe } from './run.js';
import { probeSpec, stubTarget } from '../../test/support/probe.js';
import type { ProbeOutcome } from './types.js';

const ok: ProbeOutcome = { result: 'success', message: 'ok' };

describe('runProbe', () => {
  it('dispatches to the one handler the spec names, with the timeout in ms', async () => {
    const seen: string[] = [];
    const record =
      (name: string) =>
      async (_a: unknown, _t: unknown, ms: number): Promise<ProbeOutcome> => {
        seen.push(`${name} ${ms}`);
        return ok;
      };
    const handlers = { http: record('http'), tcp: record('tcp'), exec: record('exec') };
    const base = { ...probeSpec({ timeout_seconds: 2 }), http_get: undefined };
    await runProbe({ ...base, http_get: { path: '/', port: 1, scheme: 'HTTP', http_headers: [] } }, stubTarget, {
      handlers,
    });
    await runProbe({ ...base, tcp_socket: { port: 1 } }, stubTarget, { handlers });
    await runProbe({ ...base, exec: { command: ['true'] } }, stubTarget, { handlers });
    expect(seen).toEqual(['http 2000', 'tcp 2000', 'exec 2000']);
  });

  it('grpc goes to the grpc handler with the action, target and timeout', async () => {
    const seen: unknown[] = [];
    const grpc = async (action: unknown, _t: unknown, ms: number): Promise<ProbeOutcome> => {
      seen.push(action, ms);
      return ok;
    };
    const spec = { ...probeSpec({ timeout_seconds: 3 }), http_get: undefined, grpc: { port: 1, service: 's' } };
    expect(await runProbe(spec, stubTarget, { handlers: { grpc } })).toEqual(ok);
    expect(seen).toEqual([{ port: 1, service: 's' }, 3000]);
  });

  it('an internal error is retried in the same call', async () => {
    let n = 0;
    const http = async () => {
      n++;
      if (n < 3) throw new Error('flaky prober');
      return ok;
    };
    expect(await runProbe(probeSpec(), stubTarget, { handlers: { http } })).toEqual(ok);
    expect(n).toBe(3);
  });

  it(`still erroring after ${MAX_PROBE_ATTEMPTS} attempts: unknown`, async () => {
    // stubTarget.exec rejects: an exec runtime error.
    const out = await runProbe({ ...probeSpec(), http_get: undefined, exec: { command: ['true'] } }, stubTarget);
    expect(out.result).toBe('unknown');
    expect(out.message).toContain('no exec in this test');
  });

  it('a failing target is a failure, not retried', async () => {
    let n = 0;
    const http = async (): Promise<ProbeOutcome> => {
      n++;
      return { result: 'failure', message: 'HTTP probe failed with statuscode: 500' };
    };
    expect((await runProbe(probeSpec(), stubTarget, { handlers: { http } })).result).toBe('failure');
    expect(n).toBe(1);
  });
});
