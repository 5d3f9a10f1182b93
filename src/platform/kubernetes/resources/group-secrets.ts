/**
 * Writes each service group's Secret (group-secret.ts) from the control plane's
 * groups, once per change: the resource mirror calls `sync` on every pass (at
 * least once a second), so a traffic change reaches the cluster's gateways
 * within about a second. A failed write is logged and tried again next pass.
 */

import type { Logger } from 'pino';
import { apiMessage, type KubeClient } from '../client.js';
import { kubeName } from '../translate/index.js';
import { type GroupOwner, type GroupRecord, makeGroupSecret } from './group-secret.js';
import type { ServiceView } from './plan.js';

export class GroupSecretWriter {
  /** The JSON last written, by group. */
  private readonly written = new Map<string, string>();

  constructor(
    private readonly client: KubeClient,
    private readonly logger: Logger,
  ) {}

  async sync(
    groups: readonly GroupRecord[],
    services: readonly ServiceView[],
    uidOf: (object: string) => string | undefined,
  ) {
    for (const g of groups) {
      const owners: GroupOwner[] = services
        .filter((s) => s.spec.metadata.group === g.name)
        .flatMap((s) => {
          const uid = uidOf(kubeName(s.name));
          return uid ? [{ object: kubeName(s.name), uid }] : [];
        });
      const secret = makeGroupSecret(g, owners);
      if (!secret) continue;
      const json = JSON.stringify(secret);
      if (this.written.get(g.name) === json) continue;
      try {
        await this.client.apply(secret);
        this.written.set(g.name, json);
      } catch (err) {
        this.logger.warn({ group: g.name, err: apiMessage(err) }, 'could not write the group Secret');
      }
    }
    const names = new Set(groups.map((g) => g.name));
    for (const name of [...this.written.keys()]) if (!names.has(name)) this.written.delete(name);
  }
}
