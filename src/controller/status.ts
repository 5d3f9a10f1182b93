/**
 * A service's status as EAS shows it, computed from what its instances are
 * doing. Pure: the controller calls it after every change.
 */

import type { InstanceState, ServiceStatus } from '../api/index.js';

export interface StatusInstance {
  id: string;
  revision: number;
  state: InstanceState;
  ready: boolean;
  terminating: boolean;
  message?: string;
}

export interface StatusInput {
  deleting: boolean;
  stopped: boolean;
  desired: number;
  revision: number;
  /** The service has been Running since this Pier process took it over. */
  everRunning: boolean;
  instances: StatusInstance[];
  /** A reason the platform cannot run the current revision at all. */
  unsupportedReason?: string | null;
  /** Set while a rollout is paused on a bad revision. */
  pausedReason?: string;
}

export interface StatusResult {
  status: ServiceStatus;
  reason?: string;
  message?: string;
}

export function computeServiceStatus(input: StatusInput): StatusResult {
  const live = input.instances.filter((i) => !i.terminating);
  const terminating = input.instances.length - live.length;
  if (input.deleting) return { status: 'Deleting', reason: `${input.instances.length} instance(s) still stopping` };
  if (input.stopped) {
    return input.instances.length > 0
      ? { status: 'Stopping', reason: `${input.instances.length} instance(s) still stopping` }
      : { status: 'Stopped' };
  }
  if (input.unsupportedReason) return { status: 'Failed', reason: 'Unsupported', message: input.unsupportedReason };

  const current = live.filter((i) => i.revision === input.revision);
  const old = live.filter((i) => i.revision !== input.revision);
  const ready = current.filter((i) => i.ready).length;
  const failing = current.filter((i) => i.state === 'CrashLoopBackOff' || i.state === 'Failed');

  if (old.length > 0) {
    const message = `rolling out revision ${input.revision}: ${ready} of ${input.desired} new instance(s) ready, ${old.length} old instance(s) serving`;
    if (input.pausedReason)
      return { status: 'Updating', reason: 'RolloutPaused', message: `${input.pausedReason}; ${message}` };
    return { status: 'Updating', reason: 'RollingUpdate', message };
  }
  if (current.length > 0 && failing.length === current.length && ready === 0) {
    const first = failing[0];
    return {
      status: 'Failed',
      reason: first.state,
      message: `every instance is failing; ${first.id}: ${first.message ?? first.state}`,
    };
  }
  if (ready === input.desired && current.length === input.desired && terminating === 0) {
    return input.desired === 0 ? { status: 'Running', reason: 'ScaledToZero' } : { status: 'Running' };
  }
  const notReady = current.find((i) => !i.ready);
  const detail = `${ready} of ${input.desired} instance(s) ready${notReady?.message ? `; ${notReady.id}: ${notReady.message}` : ''}`;
  if (!input.everRunning) return { status: 'Creating', message: detail };
  if (current.length !== input.desired || terminating > 0) return { status: 'Scaling', message: detail };
  return { status: 'Waiting', reason: 'InstancesNotReady', message: detail };
}
