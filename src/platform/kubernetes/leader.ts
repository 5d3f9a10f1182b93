/**
 * Leader election on a coordination.k8s.io Lease, as kube-controller-manager and
 * client-go's leaderelection do it: the holder renews the Lease every few seconds;
 * a candidate takes it over once it has not been renewed for its whole duration;
 * writes carry the resourceVersion read, so two candidates can never both win.
 * Only the leader reconciles; a leader that cannot renew in time steps down.
 * https://kubernetes.io/docs/concepts/architecture/leases/#leader-election
 */

import type { Logger } from 'pino';
import type { Clock } from '../../clock.js';
import type { KubeClient } from './client.js';
import { KubeApiError, rawRequest } from './raw.js';

export interface LeaseView {
  holder?: string;
  /** ms epoch of the last renewal. */
  renewedAt?: number;
  durationSeconds: number;
}

export type LeaseStep = 'create' | 'renew' | 'take-over' | 'wait';

/** What a candidate does with the Lease it read (undefined: none exists). Pure. */
export function leaseStep(lease: LeaseView | undefined, identity: string, now: number): LeaseStep {
  if (!lease) return 'create';
  if (lease.holder === identity) return 'renew';
  if (!lease.holder || lease.renewedAt === undefined) return 'take-over';
  return now - lease.renewedAt > lease.durationSeconds * 1000 ? 'take-over' : 'wait';
}

export interface LeaderElectorOptions {
  client: KubeClient;
  /** The Lease's name in the client's namespace. */
  lease: string;
  identity: string;
  clock: Clock;
  logger: Logger;
  /** Default 10 s: a standby takes over within this plus one retry. */
  durationSeconds?: number;
  /** How often the leader renews and a candidate retries; default 2 s. */
  retrySeconds?: number;
}

interface LeaseObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; resourceVersion?: string };
  spec: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}

export class LeaderElector {
  private readonly duration: number;
  private readonly retryMs: number;
  private renewing = false;
  private stopped = false;

  constructor(private readonly o: LeaderElectorOptions) {
    this.duration = o.durationSeconds ?? 10;
    this.retryMs = (o.retrySeconds ?? 2) * 1000;
  }

  private get path(): string {
    return `/apis/coordination.k8s.io/v1/namespaces/${this.o.client.namespace}/leases`;
  }

  /** Resolves once this candidate holds the Lease (or rejects when stopped first). */
  async acquire(): Promise<void> {
    let waitingLogged = false;
    while (!this.stopped) {
      const won = await this.tryOnce().catch((err: unknown) => {
        this.o.logger.warn(
          { lease: this.o.lease, err: String(err) },
          'leader election: the Lease could not be read or written',
        );
        return false;
      });
      if (won) return;
      if (!waitingLogged) {
        this.o.logger.info(
          { lease: this.o.lease, identity: this.o.identity },
          'waiting for the lease: another Pier leads',
        );
        waitingLogged = true;
      }
      await this.o.clock.sleep(this.retryMs);
    }
    throw new Error('leader election stopped');
  }

  /**
   * Keeps renewing; calls `lost` once when a renewal has failed for the Lease's
   * whole duration (another candidate may hold it by then).
   */
  keep(lost: (why: string) => void): void {
    if (this.renewing) return;
    this.renewing = true;
    let lastRenewed = this.o.clock.now();
    const tick = async () => {
      if (this.stopped) return;
      const ok = await this.tryOnce().catch(() => false);
      if (ok) lastRenewed = this.o.clock.now();
      else if (this.o.clock.now() - lastRenewed > this.duration * 1000) {
        this.stopped = true;
        lost(`could not renew the lease ${this.o.lease} for ${this.duration}s`);
        return;
      }
      this.o.clock.setTimeout(() => void tick(), this.retryMs);
    };
    this.o.clock.setTimeout(() => void tick(), this.retryMs);
  }

  stop(): void {
    this.stopped = true;
  }

  /** One read and, when the step says so, one write; true while this candidate holds the Lease. */
  private async tryOnce(): Promise<boolean> {
    const { client, identity } = this.o;
    const now = this.o.clock.now();
    let current: LeaseObject | undefined;
    try {
      current = (await rawRequest(client.config, 'GET', `${this.path}/${this.o.lease}`, undefined)) as LeaseObject;
    } catch (err) {
      if (!(err instanceof KubeApiError && err.code === 404)) throw err;
    }
    const view = current
      ? {
          ...(current.spec.holderIdentity ? { holder: current.spec.holderIdentity } : {}),
          ...(current.spec.renewTime ? { renewedAt: new Date(current.spec.renewTime).getTime() } : {}),
          durationSeconds: current.spec.leaseDurationSeconds ?? this.duration,
        }
      : undefined;
    const step = leaseStep(view, identity, now);
    if (step === 'wait') return false;
    const stamp = new Date(now).toISOString().replace('Z', '000Z'); // MicroTime
    const spec = {
      holderIdentity: identity,
      leaseDurationSeconds: this.duration,
      renewTime: stamp,
      acquireTime: step === 'renew' ? current?.spec.acquireTime : stamp,
      leaseTransitions: (current?.spec.leaseTransitions ?? 0) + (step === 'take-over' ? 1 : 0),
    };
    const body: LeaseObject = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name: this.o.lease,
        ...(current?.metadata.resourceVersion ? { resourceVersion: current.metadata.resourceVersion } : {}),
      },
      spec,
    };
    try {
      if (step === 'create') await rawRequest(client.config, 'POST', this.path, body);
      else await rawRequest(client.config, 'PUT', `${this.path}/${this.o.lease}`, body);
    } catch (err) {
      // Someone else wrote first (409): they lead; read again at the next try.
      if (err instanceof KubeApiError && err.code === 409) return false;
      throw err;
    }
    if (step !== 'renew') this.o.logger.info({ lease: this.o.lease, identity, step }, 'became the leader');
    return true;
  }
}
