/**
 * Service groups in SQLite: a group row exists while some service names it in
 * `metadata.group` (`sync`), and keeps the group's token, traffic mode, affinity
 * and the members' weights. Every write is one IMMEDIATE transaction, as in store.ts.
 */

import type Database from 'better-sqlite3';
import type { GroupMemberRecord, GroupRecord } from './types.js';

/** A new member's custom weight until `pier group traffic` sets one. */
export const DEFAULT_GROUP_WEIGHT = 100;

interface GroupRow {
  name: string;
  token: string;
  mode: 'auto' | 'custom';
  affinity: string | null;
  created_at: number;
}

interface MemberRow {
  grp: string;
  service: string;
  weight: number;
  standalone: number;
}

export interface GroupTrafficPatch {
  mode?: 'auto' | 'custom';
  /** null removes the affinity. */
  affinity?: { kind: 'header' | 'cookie'; key: string } | null;
  members?: Record<string, { weight?: number; standalone?: boolean }>;
}

export class GroupTable {
  private readonly stmts;

  constructor(
    private readonly db: Database.Database,
    private readonly now: () => number,
  ) {
    this.stmts = {
      list: db.prepare<[], GroupRow>('SELECT * FROM groups ORDER BY name'),
      get: db.prepare<[string], GroupRow>('SELECT * FROM groups WHERE name = ?'),
      insert: db.prepare<[string, string, number]>(
        'INSERT INTO groups (name, token, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING',
      ),
      remove: db.prepare<[string]>('DELETE FROM groups WHERE name = ?'),
      setMode: db.prepare<[string, string]>('UPDATE groups SET mode = ? WHERE name = ?'),
      setAffinity: db.prepare<[string | null, string]>('UPDATE groups SET affinity = ? WHERE name = ?'),
      members: db.prepare<[string], MemberRow>('SELECT * FROM group_members WHERE grp = ? ORDER BY service'),
      allMembers: db.prepare<[], MemberRow>('SELECT * FROM group_members'),
      removeMember: db.prepare<[string, string]>('DELETE FROM group_members WHERE grp = ? AND service = ?'),
      upsertMember: db.prepare<[string, string, number, number]>(
        `INSERT INTO group_members (grp, service, weight, standalone) VALUES (?, ?, ?, ?)
         ON CONFLICT (grp, service) DO UPDATE SET weight = excluded.weight, standalone = excluded.standalone`,
      ),
    };
  }

  list(): GroupRecord[] {
    return this.stmts.list.all().map((row) => this.record(row));
  }

  get(name: string): GroupRecord | undefined {
    const row = this.stmts.get.get(name);
    return row && this.record(row);
  }

  /**
   * Makes the stored groups those of `membership` (group → member services): a
   * group named for the first time is created with `token()`, one nobody names any
   * more is removed with its settings, and a service that left a group loses its
   * weight there (it starts from the defaults if it comes back).
   */
  sync(membership: ReadonlyMap<string, readonly string[]>, token: () => string): void {
    this.db
      .transaction(() => {
        for (const row of this.stmts.list.all()) if (!membership.has(row.name)) this.stmts.remove.run(row.name);
        for (const name of membership.keys()) this.stmts.insert.run(name, token(), this.now());
        for (const m of this.stmts.allMembers.all()) {
          if (!membership.get(m.grp)?.includes(m.service)) this.stmts.removeMember.run(m.grp, m.service);
        }
      })
      .immediate();
  }

  /** Applies a traffic change; returns the group, or undefined when there is no such group. */
  setTraffic(name: string, patch: GroupTrafficPatch): GroupRecord | undefined {
    return this.db
      .transaction(() => {
        const current = this.get(name);
        if (!current) return undefined;
        if (patch.mode !== undefined) this.stmts.setMode.run(patch.mode, name);
        if (patch.affinity !== undefined) {
          this.stmts.setAffinity.run(patch.affinity ? `${patch.affinity.kind}:${patch.affinity.key}` : null, name);
        }
        for (const [service, change] of Object.entries(patch.members ?? {})) {
          const was = current.members.find((m) => m.service === service);
          const weight = change.weight ?? was?.weight ?? DEFAULT_GROUP_WEIGHT;
          const standalone = change.standalone ?? was?.standalone ?? false;
          this.stmts.upsertMember.run(name, service, weight, standalone ? 1 : 0);
        }
        return this.get(name);
      })
      .immediate();
  }

  private record(row: GroupRow): GroupRecord {
    const members: GroupMemberRecord[] = this.stmts.members
      .all(row.name)
      .map((m) => ({ service: m.service, weight: m.weight, standalone: m.standalone !== 0 }));
    const affinity = parseAffinity(row.affinity);
    return {
      name: row.name,
      token: row.token,
      mode: row.mode,
      ...(affinity ? { affinity } : {}),
      createdAt: row.created_at,
      members,
    };
  }
}

function parseAffinity(value: string | null): GroupRecord['affinity'] {
  if (value === null) return undefined;
  const colon = value.indexOf(':');
  const kind = value.slice(0, colon);
  if (kind !== 'header' && kind !== 'cookie') return undefined;
  return { kind, key: value.slice(colon + 1) };
}
