import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { gatewayWorkers } from './commands/server.js';

describe('--gateway-workers', () => {
  it('is one thread per core by default and with auto, else the number given', () => {
    expect(gatewayWorkers(undefined, 'linux')).toBe(Math.min(64, availableParallelism()));
    expect(gatewayWorkers('auto', 'linux')).toBe(Math.min(64, availableParallelism()));
    expect(gatewayWorkers('1')).toBe(1);
    expect(gatewayWorkers('3', 'linux')).toBe(3);
  });

  it('is 1 with auto where node cannot balance SO_REUSEPORT, and refuses more there (issue 14)', () => {
    for (const platform of ['darwin', 'win32'] as const) {
      expect(gatewayWorkers(undefined, platform)).toBe(1);
      expect(gatewayWorkers('auto', platform)).toBe(1);
      expect(gatewayWorkers('1', platform)).toBe(1);
      expect(() => gatewayWorkers('2', platform)).toThrow(/SO_REUSEPORT/);
    }
    expect(gatewayWorkers('auto', 'linux')).toBe(Math.min(64, availableParallelism()));
  });

  it('refuses 0, more than 64 and words other than auto', () => {
    expect(() => gatewayWorkers('0')).toThrow(/--gateway-workers/);
    expect(() => gatewayWorkers('65')).toThrow(/1 to 64/);
    expect(() => gatewayWorkers('many')).toThrow(/--gateway-workers/);
  });
});
