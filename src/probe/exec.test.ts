import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import type { ExecResult } from '../runtime/index.js';
import { MAX_EXEC_OUTPUT_BYTES, probeExec } from './exec.js';
import type { ProbeTarget } from './types.js';
import { waitFor } from '../../test/support/wait.js';

const pids: number[] = [];

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

afterEach(() => {
  for (const pid of pids.splice(0)) {
    if (alive(pid)) process.kill(-pid, 'SIGKILL');
  }
});

/** A minimal runtime exec: argv without a shell, its own process group killed on timeout, 10 KiB of output. */
function realExec(argv: string[], timeoutMs: number): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    if (child.pid) pids.push(child.pid);
    let output = '';
    const take = (d: Buffer) => {
      if (output.length < MAX_EXEC_OUTPUT_BYTES)
        output += d.toString('utf8').slice(0, MAX_EXEC_OUTPUT_BYTES - output.length);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid) process.kill(-child.pid, 'SIGKILL');
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ exitCode: code, output, timedOut });
    });
  });
}

const target: ProbeTarget = { host: '127.0.0.1', port: 1, exec: realExec };

describe('probeExec with a real process', () => {
  it('exit 0 is success', async () => {
    const out = await probeExec({ command: ['sh', '-c', 'echo healthy'] }, target, 5000);
    expect(out).toEqual({ result: 'success', message: 'healthy\n' });
  });

  it('exit 1 is failure with the code and the output', async () => {
    const out = await probeExec({ command: ['sh', '-c', 'echo not ready >&2; exit 3'] }, target, 5000);
    expect(out).toEqual({ result: 'failure', message: 'command exited with code 3: not ready\n' });
  });

  it('no implicit shell: the argv is run as given', async () => {
    const out = await probeExec({ command: ['echo', '$(HOME)'] }, target, 5000);
    expect(out.message).toBe('$(HOME)\n');
  });

  it('output in the message is capped at 10 KiB', async () => {
    const out = await probeExec(
      { command: ['sh', '-c', 'head -c 50000 /dev/zero | tr "\\0" x; exit 1'] },
      target,
      5000,
    );
    expect(out.result).toBe('failure');
    expect(out.message.length).toBeLessThanOrEqual('command exited with code 1: '.length + MAX_EXEC_OUTPUT_BYTES);
  });

  it('a command over its timeout fails and its process is killed', async () => {
    const out = await probeExec({ command: ['sleep', '30'] }, target, 200);
    expect(out).toEqual({ result: 'failure', message: 'command timed out' });
    const pid = pids[pids.length - 1];
    await waitFor(() => !alive(pid), { what: `probe process ${pid} to be gone`, timeoutMs: 5000 });
    expect(alive(pid)).toBe(false);
  });

  it('a runtime error (command not found) propagates to the caller', async () => {
    await expect(probeExec({ command: ['pier-no-such-command-xyz'] }, target, 1000)).rejects.toThrow(/ENOENT/);
  });
});
