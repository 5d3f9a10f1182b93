/**
 * The tcpSocket handler (kubelet pkg/probe/tcp): an established connection within
 * the timeout is healthy, even if the peer closes it at once. Nothing is sent.
 */

import net from 'node:net';
import type { TcpSocketAction } from '../spec/index.js';
import { describeNetError, hostPort, resolvePort } from './address.js';
import type { ProbeOptions, ProbeOutcome, ProbeTarget } from './types.js';

export function probeTcp(
  action: TcpSocketAction,
  target: ProbeTarget,
  timeoutMs: number,
  opts: ProbeOptions = {},
): Promise<ProbeOutcome> {
  const host = action.host || target.host;
  const port = resolvePort(action.port, target, opts);
  const address = hostPort(host, port);
  return new Promise<ProbeOutcome>((resolve) => {
    let done = false;
    const finish = (outcome: ProbeOutcome) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    const socket = net.connect({ host, port });
    const timer = setTimeout(
      () => finish({ result: 'failure', message: `dial tcp ${address}: i/o timeout after ${timeoutMs} ms` }),
      timeoutMs,
    );
    socket.once('connect', () => finish({ result: 'success', message: `tcp connection to ${address} established` }));
    socket.on('error', (err) =>
      finish({ result: 'failure', message: `dial tcp ${address}: ${describeNetError(err)}` }),
    );
  });
}
