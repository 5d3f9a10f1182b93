import type { IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import { secretOf } from '../core.js';
import { affinityKey } from '../groups/affinity.js';
import { pickGroupTarget } from '../groups/target.js';
import type { GroupRoute } from '../types.js';
import type { GrpcDeps } from './call.js';
import { callRecord, forward } from './forward.js';
import { GrpcStatus } from './status.js';
import { authFailure, checkGrpcToken, type GrpcAuthVerdict } from './target.js';

/**
 * A gRPC call to a group (docs/groups.md), the HTTP group endpoint's twin: the
 * member pinned or picked by affinity or weight, the group token (or, pinned,
 * the member's own), then a call to that member. An unpinned call weighs only
 * members that enable gRPC, so it never lands where gRPC is refused.
 */
export function handleGroupCall(
  deps: GrpcDeps,
  stream: ServerHttp2Stream,
  headers: IncomingHttpHeaders,
  group: GroupRoute,
  pinned: string | undefined,
  startedNs: bigint,
): void {
  const { core } = deps;
  const { services } = core.snapshot;
  const pool =
    pinned === undefined ? { ...group, members: group.members.filter((m) => services[m.service]?.enableGrpc) } : group;
  const key = affinityKey(headers, group.affinity);
  const target = pickGroupTarget(pool, services, pinned, key, core.proxy.random);
  const member = target.kind === 'member' ? target.svc : undefined;
  const done = callRecord(deps, member, group.name, startedNs);
  let verdict: GrpcAuthVerdict = checkGrpcToken(headers, secretOf(core, group));
  if (member && target.kind === 'member' && target.pinned && checkGrpcToken(headers, secretOf(core, member)) === 'ok') {
    verdict = 'ok';
  }
  if (verdict !== 'ok') {
    done.reply(stream, GrpcStatus.UNAUTHENTICATED, authFailure(verdict));
    return;
  }
  if (target.kind === 'not-member') {
    done.reply(stream, GrpcStatus.NOT_FOUND, `service "${target.member}" is not in group "${group.name}"`);
    return;
  }
  if (target.kind === 'unavailable' || !member) {
    done.reply(stream, GrpcStatus.UNAVAILABLE, `no healthy upstream for group "${group.name}"`);
    return;
  }
  if (!member.enableGrpc) {
    done.reply(stream, GrpcStatus.NOT_FOUND, `service "${member.name}" does not enable gRPC (metadata.enable_grpc)`);
    return;
  }
  forward(deps, stream, headers, member, done, target.key);
}
