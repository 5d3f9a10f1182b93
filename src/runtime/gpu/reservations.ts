/**
 * A runtime's GPU bookkeeping: the allocator (over the configured list, or
 * `nvidia-smi -L` found on first use), with the PierError a start throws when too
 * few GPUs are free and release when an instance ends.
 */

import { PierError } from '../../errors.js';
import type { ExitInfo, RunningInstance } from '../types.js';
import { GpuAllocator } from './allocator.js';
import { detectGpus } from './detect.js';

export interface GpuReservations {
  /** The GPUs for `n` (none for 0); throws PierError('UNAVAILABLE', reason) when too few are free. */
  reserve(instanceId: string, n: number): string[];
  claim(instanceId: string, gpus: string[]): void;
  release(instanceId: string): void;
  releaseOnExit(instanceId: string, exited: Promise<ExitInfo>): void;
  /**
   * Reserves `n` GPUs, starts the instance with them, and releases them when it
   * ends (or at once if the start fails). Too few free → PierError UNAVAILABLE:
   * the instance stays Pending.
   */
  startWith(
    instanceId: string,
    n: number,
    start: (gpus: string[]) => Promise<RunningInstance>,
  ): Promise<RunningInstance>;
}

export function createGpuReservations(configured?: string[], detect: () => string[] = detectGpus): GpuReservations {
  let allocator: GpuAllocator | undefined;
  // nvidia-smi runs only when a spec first asks for GPUs (or an adopted instance held some).
  const get = () => {
    allocator ??= new GpuAllocator(configured ?? detect());
    return allocator;
  };
  const release = (instanceId: string) => allocator?.release(instanceId);
  return {
    reserve(instanceId, n) {
      if (!n || n <= 0) return [];
      const got = get().allocate(instanceId, n);
      if (!got.ok) throw new PierError('UNAVAILABLE', `Pending: ${got.reason}`);
      return got.gpus;
    },
    claim: (instanceId, gpus) => get().claim(instanceId, gpus),
    release,
    releaseOnExit(instanceId, exited) {
      void exited.then(() => release(instanceId));
    },
    async startWith(instanceId, n, start) {
      const reserved = this.reserve(instanceId, n);
      try {
        const instance = await start(reserved);
        this.releaseOnExit(instanceId, instance.exited);
        return instance;
      } catch (err) {
        release(instanceId);
        throw err;
      }
    },
  };
}
