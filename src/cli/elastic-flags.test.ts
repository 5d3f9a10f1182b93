import { describe, expect, it } from 'vitest';
import { elasticNodes } from './commands/server.js';

describe('--elastic-node-selector and --elastic-toleration', () => {
  it('leaves the defaults to the platform when neither is given', () => {
    expect(elasticNodes({} as never)).toEqual({});
  });

  it('parses labels and tolerations (Exists without a value, Equal with one)', () => {
    expect(
      elasticNodes({
        elasticNodeSelector: 'type=virtual-kubelet,pool=eci',
        elasticToleration: ['virtual-kubelet.io/provider:NoSchedule', 'eci=true:NoExecute'],
      } as never),
    ).toEqual({
      elasticNodes: {
        nodeSelector: { type: 'virtual-kubelet', pool: 'eci' },
        tolerations: [
          { key: 'virtual-kubelet.io/provider', operator: 'Exists', effect: 'NoSchedule' },
          { key: 'eci', operator: 'Equal', value: 'true', effect: 'NoExecute' },
        ],
      },
    });
  });

  it.each([
    [{ elasticNodeSelector: 'type' }, '--elastic-node-selector takes k=v[,k=v], got "type"'],
    [
      { elasticToleration: ['eci:Sometimes'] },
      '--elastic-toleration takes key[=value]:NoSchedule|PreferNoSchedule|NoExecute, got "eci:Sometimes"',
    ],
  ])('refuses %j with the flag named', (flags, message) => {
    expect(() => elasticNodes(flags as never)).toThrow(message);
  });
});
