/**
 * `pier_build_info` (the Prometheus convention for a constant 1 labelled with
 * versions, as `prometheus_build_info` is) and the process and Node.js series
 * prom-client collects (CPU, memory, event-loop lag, handles), for the control
 * plane and a standalone gateway alike.
 */

import { readFileSync } from 'node:fs';
import { Gauge, type Registry, collectDefaultMetrics } from 'prom-client';

const VERSION = (() => {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
})();

export function registerProcessMetrics(registry: Registry, role: 'server' | 'gateway'): void {
  collectDefaultMetrics({ register: registry });
  const info = new Gauge({
    name: 'pier_build_info',
    help: 'Always 1; the labels say which Pier and Node.js this process runs and in which role.',
    labelNames: ['version', 'node', 'role'],
    registers: [registry],
  });
  info.set({ version: VERSION, node: process.versions.node, role }, 1);
}
