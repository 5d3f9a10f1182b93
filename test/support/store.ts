import type { ServiceSpec } from '../../src/spec/index.js';

/** A small normalized spec; the store treats specs as opaque JSON. */
export function sampleSpec(name: string, image = 'python:3.11'): ServiceSpec {
  return {
    name,
    metadata: {
      name,
      instance: 1,
      gpu: 0,
      enable_grpc: false,
      enable_webservice: false,
      rolling_strategy: { max_surge: 1, max_unavailable: 0, min_ready_seconds: 0, progress_deadline_seconds: 600 },
      rpc: { keepalive: 5000, worker_threads: 5, max_queue_size: 64, enable_sigterm: false },
      eas: { termination_grace_period: 30 },
    },
    containers: [{ image, command: 'python app.py', port: 8000, env: [{ name: 'A', value: '1' }] }],
    storage: [],
  };
}
