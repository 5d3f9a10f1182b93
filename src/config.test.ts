import { describe, expect, it } from 'vitest';
import { runtimeConfigFromEnv } from './config.js';

describe('runtimeConfigFromEnv', () => {
  it('reads pip, oss and GPU settings', () => {
    const c = runtimeConfigFromEnv('/home/pier', {
      PIER_PIP_FIND_LINKS: '/wheels, /more',
      PIER_PIP_NO_INDEX: '1',
      PIER_PIP_EXTRA_ARGS: '--trusted-host mirror',
      PIER_OSS_ENDPOINT: 'http://127.0.0.1:9000',
      PIER_OSS_ACCESS_KEY_ID: 'id',
      PIER_GPUS: '0,1',
    });
    expect(c).toEqual({
      home: '/home/pier',
      pip: { findLinks: ['/wheels', '/more'], noIndex: true, extraArgs: ['--trusted-host', 'mirror'] },
      oss: { endpoint: 'http://127.0.0.1:9000', accessKeyId: 'id' },
      gpus: ['0', '1'],
    });
  });

  it('is empty without variables', () => {
    expect(runtimeConfigFromEnv('/h', {})).toEqual({ home: '/h', pip: {} });
  });
});
