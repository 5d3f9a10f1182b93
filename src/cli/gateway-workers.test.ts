import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { gatewayWorkers } from './commands/server.js';

describe('--gateway-workers', () => {
  it('is one thread per core by default and with auto, else the number given', () => {
    expect(gatewayWorkers(undefined)).toBe(Math.min(64, availableParallelism()));
    expect(gatewayWorkers('auto')).toBe(Math.min(64, availableParallelism()));
    expect(gatewayWorkers('1')).toBe(1);
    expect(gatewayWorkers('3')).toBe(3);
  });

  it('refuses 0, more than 64 and words other than auto', () => {
    expect(() => gatewayWorkers('0')).toThrow(/--gateway-workers/);
    expect(() => gatewayWorkers('65')).toThrow(/1 to 64/);
    expect(() => gatewayWorkers('many')).toThrow(/--gateway-workers/);
  });
});
