import { hash } from 'node:crypto';
import type { Endpoint, GroupRoute, ServiceRoute } from '../types.js';

/**
 * Which member of a service group takes a request. Pure: the caller supplies the
 * snapshot and the random source (or the affinity key), so tests drive the split
 * with a seeded generator.
 *
 * Shares follow EAS service groups: in `auto` mode a member weighs as many as it
 * has ready instances, in `custom` mode its fixed weight (0–1000). A member with
 * no ready instance, or standalone, weighs 0 whatever its weight, so traffic never
 * goes where nothing can answer.
 */

export interface Share {
  service: string;
  weight: number;
}

export function groupShares(group: GroupRoute, services: Readonly<Record<string, ServiceRoute>>): Share[] {
  return group.members.map((m) => {
    const ready = services[m.service]?.endpoints.length ?? 0;
    const weight = m.standalone || ready === 0 ? 0 : group.mode === 'auto' ? ready : m.weight;
    return { service: m.service, weight };
  });
}

/** Weighted random choice; undefined when every weight is 0. */
export function pickWeighted(shares: readonly Share[], random: () => number): string | undefined {
  let total = 0;
  for (const s of shares) total += s.weight;
  if (total <= 0) return undefined;
  let r = random() * total;
  let last: string | undefined;
  for (const s of shares) {
    if (s.weight <= 0) continue;
    last = s.service;
    if (r < s.weight) return s.service;
    r -= s.weight;
  }
  return last; // random() of 1, or rounding at the end
}

/**
 * Weighted rendezvous (highest random weight) hashing: every member scores
 * `-weight / ln(u)` with `u` a hash of (key, member) in (0, 1), the highest wins.
 * A key keeps its member while weights change elsewhere, and only keys whose
 * member leaves (or whose share shrinks) move: Schindelhauer and Schomaker,
 * "Weighted Distributed Hash Tables" (SPAA 2005); Thaler and Ravishankar,
 * "Using name-based mappings to increase hit rates" (IEEE/ACM ToN 1998).
 */
export function pickByKey(shares: readonly Share[], key: string): string | undefined {
  let best: string | undefined;
  let bestScore = Number.NEGATIVE_INFINITY;
  for (const s of shares) {
    if (s.weight <= 0) continue;
    const score = -s.weight / Math.log(unitHash(key, s.service));
    if (score > bestScore) {
      bestScore = score;
      best = s.service;
    }
  }
  return best;
}

/** Rendezvous hashing over instances (equal weights): the same key keeps its instance while it stays a candidate. */
export function pickEndpointByKey(candidates: readonly Endpoint[], key: string): Endpoint | undefined {
  let best: Endpoint | undefined;
  let bestScore = -1;
  for (const e of candidates) {
    const score = unitHash(key, e.instanceId);
    if (score > bestScore) {
      bestScore = score;
      best = e;
    }
  }
  return best;
}

const TWO_48 = 2 ** 48;

/** 48 bits of SHA-256 of (key, id) as a number strictly between 0 and 1. */
export function unitHash(key: string, id: string): number {
  const digest = hash('sha256', `${key}\n${id}`, 'buffer');
  return (digest.readUIntBE(0, 6) + 1) / (TWO_48 + 1);
}
