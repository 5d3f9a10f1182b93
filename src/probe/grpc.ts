/** gRPC health probes (grpc.health.v1) come in a later issue; until then the outcome is discarded. */

import type { ProbeOutcome } from './types.js';

export function probeGrpc(): Promise<ProbeOutcome> {
  return Promise.resolve({ result: 'unknown', message: 'grpc probes are not supported yet' });
}
