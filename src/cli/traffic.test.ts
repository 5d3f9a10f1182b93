/** `pier traffic`, `pier promote` and `pier modify --traffic` (issue 17, item 4). */
import { afterEach, describe, expect, it } from 'vitest';
import type { ModifyRequest } from '../api/index.js';
import { type Harness, startHarness } from '../../test/support/cli.js';
import { fakeDescription } from '../../test/support/fake-control.js';
import { descTable } from './commands/services.js';
import { parseCanaryPercent, parseTrafficAssignments } from './commands/traffic.js';
import { CliError } from './errors.js';

let h: Harness | undefined;
afterEach(() => {
  h?.close();
  h = undefined;
});

describe('REVISION=PERCENT arguments', () => {
  it.each([
    [['2=50', '3=50'], { '2': 50, '3': 50 }],
    [['3=100'], { '3': 100 }],
    [['1=0', '12=100'], { '1': 0, '12': 100 }],
  ])('parses %j', (args, want) => {
    expect(parseTrafficAssignments(args)).toEqual(want);
  });

  it.each([[[]], [['2']], [['2=']], [['v2=50']], [['0=100']], [['2=-5']], [['2=5.5']], [['2=50', '2=50']]])(
    'refuses %j with exit code 2',
    (args) => {
      expect(() => parseTrafficAssignments(args)).toThrow(CliError);
    },
  );

  it.each([
    ['10', 10],
    ['10%', 10],
    [' 5 ', 5],
  ])('--traffic %j is %i', (raw, want) => {
    expect(parseCanaryPercent(raw)).toBe(want);
  });

  it.each(['ten', '-1', '1.5', ''])('refuses --traffic %j', (raw) => {
    expect(() => parseCanaryPercent(raw)).toThrow(CliError);
  });
});

describe('the verbs', () => {
  it('pier traffic sends the split and prints it', async () => {
    h = await startHarness();
    const r = await h.run(['traffic', 'demo', '1=90', '2=10']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ {2}1 +90% +0$/m);
    expect(r.stdout).toMatch(/^ {2}2 +10% +0$/m);
  });

  it('pier traffic shows the typed error with its path (exit 2)', async () => {
    h = await startHarness();
    const r = await h.run(['traffic', 'demo', '1=90', '2=20']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('traffic');
    expect(r.stderr).toContain('sum to 110');
  });

  it('pier promote sends the revision', async () => {
    h = await startHarness();
    const r = await h.run(['promote', 'demo', '2', '-o', 'json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ name: 'demo', revision: 2 });
    expect((await h.run(['promote', 'demo', 'two'])).code).toBe(2);
  });

  it('pier modify --traffic 10 asks for a canary and says how to promote it', async () => {
    let req: ModifyRequest | undefined;
    h = await startHarness();
    const describe = h.control.describe;
    h.control.modify = async (name, r) => {
      req = r;
      const service = {
        ...describe(name),
        traffic: [
          { revision: 1, percent: 90, readyInstances: 1 },
          { revision: 2, percent: 10, readyInstances: 0 },
        ],
      };
      return { service, newRevision: true, scaled: false, warnings: [] };
    };
    h.write('new.json', { containers: [{ command: 'python3 app2.py', port: 8000 }] });
    const r = await h.run(['modify', 'demo', '-s', 'new.json', '--traffic', '10', '--no-wait']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(req).toEqual({ patch: { containers: [{ command: 'python3 app2.py', port: 8000 }] }, traffic: 10 });
    expect(r.stdout).toContain('new revision 2 starts next to revision 1 with 10% of the traffic');
    expect(r.stdout).toContain('pier promote demo 2');
  });
});

describe('pier desc', () => {
  const base = fakeDescription('demo', { revision: 2 });
  it.each([
    ['no split', [{ revision: 2, percent: 100, readyInstances: 1 }], false],
    [
      'two revisions',
      [
        { revision: 2, percent: 90, readyInstances: 2 },
        { revision: 3, percent: 10, readyInstances: 1 },
      ],
      true,
    ],
    ['all to a revision that is not current', [{ revision: 3, percent: 100, readyInstances: 1 }], true],
  ])('lists the split only when there is one: %s', (_name, traffic, shown) => {
    const lines = descTable({ ...base, traffic }).join('\n');
    expect(lines.includes('Traffic:')).toBe(shown);
    if (shown) expect(lines).toMatch(/^ {2}3 +\d+% +1$/m);
  });
});
