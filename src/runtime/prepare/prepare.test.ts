import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createProcessRuntime } from '../process-runtime.js';
import { makeSpec, tempDir } from '../../../test/support/runtime.js';
import type { ContainerSpec } from '../../spec/index.js';
import type { PierRuntimeConfig, RunningInstance } from '../types.js';
import { READY_MARKER } from './venv.js';
import { buildWheel } from './wheel-fixture.js';

const started: RunningInstance[] = [];
const dirs: { remove: () => void }[] = [];
let wheels: string;

beforeAll(() => {
  const d = tempDir('pier-wheels-');
  dirs.push(d);
  wheels = buildWheel(d.path, 'tinypkg', 'GREETING = "hello from tinypkg"\n');
});

afterEach(async () => {
  await Promise.all(started.splice(0).map((i) => i.stop(0)));
});

afterEach(() => {
  // The wheel dir outlives each test; everything else goes.
  for (const d of dirs.splice(1)) d.remove();
});

function setup() {
  const d = tempDir();
  dirs.push(d);
  const config: PierRuntimeConfig = { home: join(d.path, 'home'), pip: { noIndex: true, findLinks: [wheels] } };
  return { root: d.path, config, runtime: createProcessRuntime({ config, exitPollMs: 100 }) };
}

let n = 0;
async function run(s: ReturnType<typeof setup>, container: Partial<ContainerSpec>) {
  const id = `p-${++n}`;
  const logDir = join(s.root, 'logs', id);
  const instance = await s.runtime.start({
    service: 'svc',
    revision: 1,
    instanceId: id,
    spec: makeSpec([{ port: 8000, ...container }]),
    logDir,
    workDir: join(s.root, 'work', id),
  });
  started.push(instance);
  const exit = await instance.exited;
  return { exit, log: readFileSync(join(logDir, 'instance.log'), 'utf8') };
}

const importIt = 'python3 -c "import tinypkg, sys; print(tinypkg.GREETING, sys.prefix)"';

describe('prepare.pythonRequirements (process runtime)', () => {
  it('installs from a local wheel dir (--no-index) into a venv the app runs in', async () => {
    const s = setup();
    const { exit, log } = await run(s, { command: importIt, prepare: { pythonRequirements: ['tinypkg==1.0'] } });
    expect(exit.reason).toBe('Completed');
    expect(log).toContain('[pier] prepare containers[0]: creating virtualenv');
    expect(log).toContain('[pier] pip: Successfully installed tinypkg-1.0');
    expect(log).toMatch(new RegExp(`hello from tinypkg ${s.config.home}/venvs/[0-9a-f]{16}\\n`));
  }, 60_000);

  it('reuses the venv for the same list, and builds another for a different one', async () => {
    const s = setup();
    await run(s, { command: importIt, prepare: { pythonRequirements: ['tinypkg'] } });
    const venvDir = /hello from tinypkg (\S+)/.exec(
      readFileSync(join(s.root, 'logs', `p-${n}`, 'instance.log'), 'utf8'),
    )?.[1];
    expect(venvDir).toBeDefined();
    const marker = statSync(join(venvDir as string, READY_MARKER));
    const again = await run(s, { command: importIt, prepare: { pythonRequirements: ['tinypkg'] } });
    expect(again.exit.reason).toBe('Completed');
    expect(again.log).toContain(`[pier] prepare containers[0]: reusing virtualenv ${venvDir}`);
    expect(again.log).not.toContain('Successfully installed');
    expect(statSync(join(venvDir as string, READY_MARKER)).mtimeMs).toBe(marker.mtimeMs);
    const other = await run(s, { command: importIt, prepare: { pythonRequirements: ['tinypkg==1.0'] } });
    expect(other.log).toContain('creating virtualenv');
  }, 60_000);

  it('two instances with the same list at once share one venv without colliding', async () => {
    const s = setup();
    const [a, b] = await Promise.all([
      run(s, { command: importIt, prepare: { pythonRequirements: ['tinypkg'] } }),
      run(s, { command: importIt, prepare: { pythonRequirements: ['tinypkg'] } }),
    ]);
    expect([a.exit.reason, b.exit.reason]).toEqual(['Completed', 'Completed']);
    expect([a.log, b.log].filter((l) => l.includes('Successfully installed'))).toHaveLength(1);
    expect([a.log, b.log].filter((l) => l.includes('reusing virtualenv'))).toHaveLength(1);
  }, 60_000);

  it('installs pythonRequirementsPath, relative to the working dir', async () => {
    const s = setup();
    const file = join(s.root, 'requirements.txt');
    writeFileSync(file, '# models\ntinypkg\n');
    const { exit, log } = await run(s, {
      command: importIt,
      prepare: { pythonRequirementsPath: '../../requirements.txt' },
    });
    expect(exit.reason).toBe('Completed');
    expect(log).toContain('hello from tinypkg');
  }, 60_000);

  it('a requirement pip cannot find is a StartError with pip last lines; nothing is cached', async () => {
    const s = setup();
    const { exit, log } = await run(s, { command: importIt, prepare: { pythonRequirements: ['nosuchpkg-pier==9'] } });
    expect(exit.reason).toBe('StartError');
    expect(exit.message).toMatch(/^prepare containers\[0\]: pip install failed \(exit code 1\); last lines:\n/);
    expect(exit.message).toContain('No matching distribution found for nosuchpkg-pier==9');
    expect(log).toContain('[pier] pip: ERROR: No matching distribution found for nosuchpkg-pier==9');
    expect(log).not.toContain('hello from tinypkg');
    const venvs = join(s.config.home, 'venvs');
    expect(existsSync(venvs) ? readdirSync(venvs) : []).toEqual([]);
  }, 60_000);

  it('a missing requirements file names the field', async () => {
    const s = setup();
    const { exit } = await run(s, { command: importIt, prepare: { pythonRequirementsPath: '/nonexistent/req.txt' } });
    expect(exit.reason).toBe('StartError');
    expect(exit.message).toContain('containers[0].prepare.pythonRequirementsPath "/nonexistent/req.txt": cannot read');
  });

  it('without a configuration, prepare is a StartError saying what is missing', async () => {
    const d = tempDir();
    dirs.push(d);
    const instance = await createProcessRuntime().start({
      service: 'svc',
      revision: 1,
      instanceId: 'x',
      spec: makeSpec([{ port: 8000, command: importIt, prepare: { pythonRequirements: ['tinypkg'] } }]),
      logDir: join(d.path, 'logs'),
      workDir: join(d.path, 'work'),
    });
    expect(await instance.exited).toMatchObject({ reason: 'StartError', message: expect.stringContaining('config') });
  });
});
