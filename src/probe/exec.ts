/**
 * The exec handler (kubelet pkg/probe/exec): the instance's runtime runs argv (no
 * implicit shell); exit 0 is healthy, anything else or a timeout is a failure.
 * If the runtime itself fails (throws), the error propagates: runProbe retries it
 * and, still failing, discards the attempt as 'unknown'.
 */

import type { ExecAction } from '../spec/index.js';
import type { ProbeOutcome, ProbeTarget } from './types.js';

/** Output kept in a message, as kubelet keeps at most 10 KiB of stdout+stderr. */
export const MAX_EXEC_OUTPUT_BYTES = 10_240;

export async function probeExec(action: ExecAction, target: ProbeTarget, timeoutMs: number): Promise<ProbeOutcome> {
  const res = await target.exec(action.command, timeoutMs);
  if (res.timedOut) return { result: 'failure', message: 'command timed out' };
  const output = truncate(res.output ?? '');
  if (res.exitCode === 0) return { result: 'success', message: output };
  const how = res.exitCode === null ? 'command ended without an exit code' : `command exited with code ${res.exitCode}`;
  return { result: 'failure', message: output ? `${how}: ${output}` : how };
}

function truncate(text: string): string {
  const buf = Buffer.from(text, 'utf8');
  return buf.length <= MAX_EXEC_OUTPUT_BYTES ? text : buf.subarray(0, MAX_EXEC_OUTPUT_BYTES).toString('utf8');
}
