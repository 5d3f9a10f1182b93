/**
 * Which of the machine's GPUs each instance holds. One allocator per runtime object
 * (no module state): `allocate` takes the lowest free GPUs in list order, or says
 * why it cannot; `release` gives them back when the instance ends.
 */

export type GpuAllocation = { ok: true; gpus: string[] } | { ok: false; reason: string };

export class GpuAllocator {
  private readonly held = new Map<string, string[]>();

  constructor(private readonly gpus: readonly string[]) {}

  /** Reserves `n` GPUs for `instanceId`; an instance that already holds GPUs gets the same ones back. */
  allocate(instanceId: string, n: number): GpuAllocation {
    if (n <= 0) return { ok: true, gpus: [] };
    const mine = this.held.get(instanceId);
    if (mine && mine.length === n) return { ok: true, gpus: [...mine] };
    if (mine) this.held.delete(instanceId);
    const free = this.free();
    if (free.length < n) {
      if (mine) this.held.set(instanceId, mine);
      return { ok: false, reason: this.shortage(n, free.length) };
    }
    const gpus = free.slice(0, n);
    this.held.set(instanceId, gpus);
    return { ok: true, gpus: [...gpus] };
  }

  /** Records GPUs an adopted instance already uses (those still on this machine). */
  claim(instanceId: string, gpus: string[]): void {
    const known = gpus.filter((g) => this.gpus.includes(g));
    if (known.length > 0) this.held.set(instanceId, known);
  }

  release(instanceId: string): void {
    this.held.delete(instanceId);
  }

  free(): string[] {
    const taken = new Set([...this.held.values()].flat());
    return this.gpus.filter((g) => !taken.has(g));
  }

  heldBy(instanceId: string): string[] {
    return [...(this.held.get(instanceId) ?? [])];
  }

  private shortage(n: number, free: number): string {
    if (this.gpus.length === 0) {
      return `metadata.gpu is ${n} but this machine has no GPUs (nvidia-smi -L found none)`;
    }
    if (n > this.gpus.length) {
      return `metadata.gpu is ${n} but this machine has only ${this.gpus.length} GPU(s)`;
    }
    const users = [...this.held.keys()].join(', ');
    return `metadata.gpu is ${n} but only ${free} of ${this.gpus.length} GPU(s) are free (held by ${users})`;
  }
}
