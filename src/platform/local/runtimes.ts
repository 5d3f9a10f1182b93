/**
 * The local platform's runtimes: the process runtime, the container runtime when an
 * engine answers, and the selector over them. They share one GPU reservation book,
 * so a GPU held by a process instance is never handed to a container (issue 13).
 */

import type { Logger } from 'pino';
import type { Clock } from '../../clock.js';
import {
  createContainerRuntime,
  createGpuReservations,
  createProcessRuntime,
  createRuntimeSelector,
  detectContainerEngine,
  type PierRuntimeConfig,
  type RuntimeChoice,
  type RuntimeSelector,
} from '../../runtime/index.js';

export interface LocalRuntimesOptions {
  choice: RuntimeChoice;
  clock: Clock;
  config: PierRuntimeConfig;
  logger?: Logger;
  /** Finds podman/docker; default: ask them. Tests pass a fixed answer. */
  detect?: () => Promise<{ engine: 'podman' | 'docker'; binary: string } | null>;
}

export async function createLocalRuntimes(opts: LocalRuntimesOptions): Promise<RuntimeSelector> {
  const { choice, clock, config, logger } = opts;
  const gpus = createGpuReservations(config.gpus);
  const processRuntime = createProcessRuntime({ clock, config, gpus });
  const engine = choice === 'process' ? null : await (opts.detect ?? detectContainerEngine)();
  if (engine) logger?.info({ engine: engine.engine, binary: engine.binary }, 'container runtime available');
  else if (choice === 'container') logger?.warn('--runtime container: no container engine answered');
  const container = engine
    ? createContainerRuntime({ engine: engine.engine, binary: engine.binary, clock, config, gpus })
    : undefined;
  return createRuntimeSelector({ process: processRuntime, ...(container ? { container } : {}), choice });
}
