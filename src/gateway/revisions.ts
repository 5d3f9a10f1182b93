/**
 * Which revision of a service takes a request when the service splits its
 * traffic between revisions (Knative traffic targets,
 * https://knative.dev/docs/serving/traffic-management/). Pure: the caller gives
 * the candidates and the random source. A revision with no candidate weighs 0,
 * so its share goes to the others in proportion; the instance within the
 * revision is the load balancer's choice among the endpoints returned.
 */

import { pickWeighted } from './groups/pick.js';
import type { Endpoint, RevisionTraffic } from './types.js';

/**
 * The candidates of the revision picked by weight; all of `candidates` when there
 * is no split or no revision of the split has one (endpoints of revisions outside
 * the split, e.g. still draining after a promote, are then better than a 503).
 */
export function revisionCandidates(
  traffic: readonly RevisionTraffic[] | undefined,
  candidates: readonly Endpoint[],
  random: () => number,
): readonly Endpoint[] {
  if (traffic === undefined || traffic.length === 0 || candidates.length === 0) return candidates;
  const shares = traffic.map((t) => ({
    service: String(t.revision),
    weight: candidates.some((e) => e.revision === t.revision) ? t.percent : 0,
  }));
  const picked = pickWeighted(shares, random);
  if (picked === undefined) return candidates;
  const revision = Number(picked);
  return candidates.filter((e) => e.revision === revision);
}
