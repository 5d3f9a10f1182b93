import { describe, expect, it } from 'vitest';
import { grpcTarget } from './target.js';

/** The gRPC routing rule with groups, as a table (docs/groups.md). */

const isGroup = (n: string) => n === 'g';

describe('grpcTarget', () => {
  const table: { name: string; headers: Record<string, string>; want: ReturnType<typeof grpcTarget> }[] = [
    { name: 'a service by metadata', headers: { 'x-pier-service': 'echo' }, want: { name: 'echo' } },
    { name: 'a service by :authority', headers: { ':authority': 'echo.pier.local:9000' }, want: { name: 'echo' } },
    { name: 'a group by metadata', headers: { 'x-pier-service': 'g' }, want: { name: 'g' } },
    { name: 'a group by :authority', headers: { ':authority': 'g.pier.local' }, want: { name: 'g' } },
    { name: '<group>.<service> pins', headers: { 'x-pier-service': 'g.b' }, want: { name: 'g', member: 'b' } },
    { name: 'x-eas-service <group>.<service>', headers: { 'x-eas-service': 'g.b' }, want: { name: 'g', member: 'b' } },
    {
      name: 'x-pier-service pins under x-eas-service naming a group',
      headers: { 'x-eas-service': 'g', 'x-pier-service': 'b' },
      want: { name: 'g', member: 'b' },
    },
    {
      name: 'x-pier-service pins under an :authority naming a group',
      headers: { ':authority': 'g.pier.local', 'x-pier-service': 'b' },
      want: { name: 'g', member: 'b' },
    },
    {
      name: 'x-pier-service wins over an :authority that is no group',
      headers: { ':authority': 'other.pier.local', 'x-pier-service': 'b' },
      want: { name: 'b' },
    },
    { name: 'a dotted name that is no group', headers: { 'x-pier-service': 'echo.b' }, want: undefined },
    { name: 'three labels', headers: { 'x-pier-service': 'g.b.c' }, want: undefined },
    { name: 'nothing named', headers: { ':authority': 'localhost:9000' }, want: undefined },
  ];
  for (const row of table) {
    it(row.name, () => expect(grpcTarget(row.headers, isGroup)).toEqual(row.want));
  }
});
