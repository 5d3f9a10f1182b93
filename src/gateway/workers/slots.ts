import type { EndpointSnapshot } from '../types.js';
import { type Board, INSTANCE_SLOTS, SERVICE_SLOTS, type SlotMap } from './board.js';

/**
 * The main thread's assignment of board slots to services and instances. A name
 * keeps its slot while it is in a snapshot; once it has left, the slot is reused
 * only after every thread has applied a snapshot without it and nothing of it is
 * in flight (so no thread still counts on the old slot).
 */
export class SlotAllocator {
  private readonly services = new Map<string, number>();
  private readonly instances = new Map<string, number>();
  private readonly freeServices: number[] = [];
  private readonly freeInstances: number[] = [];
  /** Left the snapshot at this version. */
  private readonly goneServices = new Map<string, number>();
  private readonly goneInstances = new Map<string, number>();
  private readonly applied: number[];

  constructor(
    private readonly board: Board,
    threads: number,
  ) {
    for (let i = SERVICE_SLOTS - 1; i >= 0; i--) this.freeServices.push(i);
    for (let i = INSTANCE_SLOTS - 1; i >= 0; i--) this.freeInstances.push(i);
    this.applied = new Array<number>(threads).fill(0);
  }

  /** Slots for a new snapshot (also applied to the main thread's board view). */
  assign(snapshot: EndpointSnapshot): SlotMap {
    this.reclaim();
    const liveServices = new Set<string>();
    const liveInstances = new Set<string>();
    for (const svc of Object.values(snapshot.services)) {
      liveServices.add(svc.name);
      this.take(this.services, this.freeServices, this.goneServices, svc.name, (s) => this.board.resetService(s));
      for (const ep of svc.endpoints) {
        liveInstances.add(ep.instanceId);
        this.take(this.instances, this.freeInstances, this.goneInstances, ep.instanceId, (s) =>
          this.board.resetInstance(s),
        );
      }
    }
    for (const name of this.services.keys()) {
      if (!liveServices.has(name) && !this.goneServices.has(name)) this.goneServices.set(name, snapshot.version);
    }
    for (const id of this.instances.keys()) {
      if (!liveInstances.has(id) && !this.goneInstances.has(id)) this.goneInstances.set(id, snapshot.version);
    }
    const map: SlotMap = { services: [...this.services], instances: [...this.instances] };
    this.board.setSlots(map);
    return map;
  }

  /** A thread has applied `version`. */
  ack(thread: number, version: number): void {
    this.applied[thread] = Math.max(this.applied[thread] ?? 0, version);
  }

  instanceSlot(id: string): number {
    return this.instances.get(id) ?? -1;
  }

  serviceNames(): IterableIterator<[string, number]> {
    return this.services.entries();
  }

  instanceNames(): IterableIterator<[string, number]> {
    return this.instances.entries();
  }

  private take(
    names: Map<string, number>,
    free: number[],
    gone: Map<string, number>,
    name: string,
    reset: (slot: number) => void,
  ): void {
    gone.delete(name);
    if (names.has(name)) return;
    const slot = free.pop();
    if (slot === undefined) return; // board full: this name is counted per thread only
    reset(slot);
    names.set(name, slot);
  }

  private reclaim(): void {
    const everywhere = Math.min(...this.applied);
    for (const [name, version] of this.goneServices) {
      const slot = this.services.get(name)!;
      if (version <= everywhere && this.board.serviceIdle(slot)) {
        this.goneServices.delete(name);
        this.services.delete(name);
        this.freeServices.push(slot);
      }
    }
    for (const [id, version] of this.goneInstances) {
      const slot = this.instances.get(id)!;
      if (version <= everywhere && this.board.instanceIdle(slot)) {
        this.goneInstances.delete(id);
        this.instances.delete(id);
        this.freeInstances.push(slot);
      }
    }
  }
}
