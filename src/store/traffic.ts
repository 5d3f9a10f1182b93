/**
 * Revision traffic inside a service (Knative-style traffic targets,
 * https://knative.dev/docs/serving/traffic-management/): each revision's percent.
 * A service without rows sends everything to its current revision. A write
 * replaces the whole split in one IMMEDIATE transaction, as in store.ts.
 */

import type Database from 'better-sqlite3';
import type { TrafficTarget } from './types.js';

interface TrafficRow {
  service: string;
  revision: number;
  percent: number;
}

export class TrafficTable {
  private readonly stmts;

  constructor(private readonly db: Database.Database) {
    this.stmts = {
      get: db.prepare<[string], TrafficRow>('SELECT * FROM service_traffic WHERE service = ? ORDER BY revision'),
      all: db.prepare<[], TrafficRow>('SELECT * FROM service_traffic ORDER BY service, revision'),
      clear: db.prepare<[string]>('DELETE FROM service_traffic WHERE service = ?'),
      insert: db.prepare<[string, number, number]>(
        'INSERT INTO service_traffic (service, revision, percent) VALUES (?, ?, ?)',
      ),
    };
  }

  /** The service's split, by revision; empty when it has none. */
  get(service: string): TrafficTarget[] {
    return this.stmts.get.all(service).map(({ revision, percent }) => ({ revision, percent }));
  }

  /** Every service's split (services without one are absent). */
  all(): Map<string, TrafficTarget[]> {
    const out = new Map<string, TrafficTarget[]>();
    for (const row of this.stmts.all.all()) {
      const list = out.get(row.service) ?? [];
      list.push({ revision: row.revision, percent: row.percent });
      out.set(row.service, list);
    }
    return out;
  }

  /**
   * Makes `split` the service's split; targets at 0% are left out, and an empty
   * split (or none left) removes it. The caller checks the split (sums, revisions).
   */
  set(service: string, split: readonly TrafficTarget[]): void {
    this.db
      .transaction(() => {
        this.stmts.clear.run(service);
        for (const t of split) if (t.percent > 0) this.stmts.insert.run(service, t.revision, t.percent);
      })
      .immediate();
  }
}
