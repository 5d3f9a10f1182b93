import { describe, expect, it } from 'vitest';
import { GpuAllocator } from './allocator.js';
import { detectGpus, parseNvidiaSmiList } from './detect.js';

describe('GpuAllocator', () => {
  it.each([
    { name: 'no GPUs asked', gpus: ['0', '1'], asks: [['a', 0]], want: [[]] },
    {
      name: 'lowest free first',
      gpus: ['0', '1', '2'],
      asks: [
        ['a', 1],
        ['b', 2],
      ],
      want: [['0'], ['1', '2']],
    },
    {
      name: 'too few free',
      gpus: ['0', '1'],
      asks: [
        ['a', 1],
        ['b', 2],
      ],
      want: [['0'], /only 1 of 2 GPU\(s\) are free \(held by a\)/],
    },
    { name: 'more than the machine has', gpus: ['0'], asks: [['a', 2]], want: [/has only 1 GPU/] },
    { name: 'no GPUs at all', gpus: [], asks: [['a', 1]], want: [/has no GPUs/] },
    {
      name: 'same instance again gets the same GPUs',
      gpus: ['0', '1'],
      asks: [
        ['a', 1],
        ['a', 1],
      ],
      want: [['0'], ['0']],
    },
  ] as const)('$name', ({ gpus, asks, want }) => {
    const alloc = new GpuAllocator(gpus);
    asks.forEach(([id, n], i) => {
      const got = alloc.allocate(id, n);
      const expected = want[i];
      if (expected instanceof RegExp) {
        expect(got.ok).toBe(false);
        if (!got.ok) expect(got.reason).toMatch(expected);
      } else {
        expect(got).toEqual({ ok: true, gpus: expected });
      }
    });
  });

  it('release frees the GPUs for the next instance', () => {
    const alloc = new GpuAllocator(['0', '1']);
    alloc.allocate('a', 2);
    expect(alloc.allocate('b', 1).ok).toBe(false);
    alloc.release('a');
    expect(alloc.allocate('b', 1)).toEqual({ ok: true, gpus: ['0'] });
    expect(alloc.free()).toEqual(['1']);
  });

  it('claim records an adopted instance, ignoring GPUs the machine no longer has', () => {
    const alloc = new GpuAllocator(['0', '1']);
    alloc.claim('a', ['1', '7']);
    expect(alloc.heldBy('a')).toEqual(['1']);
    expect(alloc.allocate('b', 1)).toEqual({ ok: true, gpus: ['0'] });
  });
});

describe('nvidia-smi -L', () => {
  it('parses indices', () => {
    const text = 'GPU 0: NVIDIA A10 (UUID: GPU-aaa)\nGPU 1: NVIDIA A10 (UUID: GPU-bbb)\n';
    expect(parseNvidiaSmiList(text)).toEqual(['0', '1']);
  });

  it('finds none when the binary is missing', () => {
    expect(detectGpus('/nonexistent/nvidia-smi')).toEqual([]);
  });
});
