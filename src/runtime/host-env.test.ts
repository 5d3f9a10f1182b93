/** Issue 12, defect 2: what of Pier's environment reaches instances, prepare steps and the engine CLI. */
import { describe, expect, it } from 'vitest';
import { buildEnv } from './command.js';
import { engineHostEnv, instanceHostEnv, prepareHostEnv } from './host-env.js';
import { makeSpec } from '../../test/support/runtime.js';

const server = {
  PATH: '/usr/bin',
  HOME: '/root',
  LANG: 'C.UTF-8',
  LC_ALL: 'C.UTF-8',
  TZ: 'UTC',
  PIER_ADMIN_TOKEN: 'admin-secret',
  PIER_OSS_SECRET_ACCESS_KEY: 'oss-secret',
  AWS_SECRET_ACCESS_KEY: 'aws-secret',
  PIP_INDEX_URL: 'http://mirror/simple',
  HTTPS_PROXY: 'http://proxy:3128',
  XDG_RUNTIME_DIR: '/run/user/0',
};

describe('host environment allow lists (issue 12, defect 2)', () => {
  it('an instance gets the host basics only, then the spec env and PORT/PIER_*', () => {
    expect(instanceHostEnv(server)).toEqual({
      PATH: '/usr/bin',
      HOME: '/root',
      LANG: 'C.UTF-8',
      LC_ALL: 'C.UTF-8',
      TZ: 'UTC',
    });
    const env = buildEnv({
      container: makeSpec([{ command: 'x', port: 1, env: [{ name: 'A', value: 'b' }] }]).containers[0],
      port: 7000,
      service: 's',
      instanceId: 'i',
      revision: 1,
      base: server,
    });
    expect(Object.values(env)).not.toEqual(expect.arrayContaining(['admin-secret']));
    expect(env).not.toHaveProperty('PIER_ADMIN_TOKEN');
    expect(env).not.toHaveProperty('PIER_OSS_SECRET_ACCESS_KEY');
    expect(env).not.toHaveProperty('AWS_SECRET_ACCESS_KEY');
    expect(env).toMatchObject({ A: 'b', PORT: '7000', PIER_SERVICE: 's', PIER_INSTANCE: 'i', PATH: '/usr/bin' });
  });

  it('pip gets its own configuration and proxies, not Pier secrets', () => {
    const env = prepareHostEnv(server);
    expect(env).toMatchObject({
      PATH: '/usr/bin',
      PIP_INDEX_URL: 'http://mirror/simple',
      HTTPS_PROXY: 'http://proxy:3128',
    });
    expect(env).not.toHaveProperty('PIER_ADMIN_TOKEN');
    expect(env).not.toHaveProperty('AWS_SECRET_ACCESS_KEY');
  });

  it("the engine CLI keeps what it needs but not Pier's own variables", () => {
    const env = engineHostEnv(server);
    expect(env).toHaveProperty('XDG_RUNTIME_DIR');
    expect(env).not.toHaveProperty('PIER_ADMIN_TOKEN');
    expect(env).not.toHaveProperty('PIER_OSS_SECRET_ACCESS_KEY');
  });
});
