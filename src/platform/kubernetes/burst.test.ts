import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { burstActions, DELETION_COST } from './burst.js';
import { DEFAULT_ELASTIC_NODES, isElasticNode, templatePlacement } from './translate/index.js';

const elastic = DEFAULT_ELASTIC_NODES;
const nodes = new Set(['vk-0']);

function pod(
  name: string,
  over: { node?: string; unschedulable?: boolean; tolerated?: boolean; cost?: string } = {},
): V1Pod {
  return {
    metadata: { name, ...(over.cost ? { annotations: { [DELETION_COST]: over.cost } } : {}) },
    spec: {
      containers: [],
      ...(over.node ? { nodeName: over.node } : {}),
      ...(over.tolerated ? { tolerations: elastic.tolerations } : {}),
    },
    status: over.unschedulable
      ? { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable' }] }
      : { phase: 'Running' },
  };
}

describe('burstActions', () => {
  it.each<[string, 'none' | 'eci' | 'eci_only', V1Pod[], string[]]>([
    ['none does nothing', 'none', [pod('a', { unschedulable: true })], []],
    ['eci tolerates an unschedulable pod', 'eci', [pod('a', { unschedulable: true })], ['tolerate:a']],
    ['eci leaves a pod that already tolerates', 'eci', [pod('a', { unschedulable: true, tolerated: true })], []],
    ['eci leaves a pod on the base pool', 'eci', [pod('a', { node: 'base-0' })], []],
    ['a pod on an elastic node is made cheap to delete', 'eci', [pod('a', { node: 'vk-0' })], ['deletion-cost:a']],
    ['once', 'eci', [pod('a', { node: 'vk-0', cost: '-100' })], []],
    ['eci_only marks its pods too', 'eci_only', [pod('a', { node: 'vk-0' })], ['deletion-cost:a']],
    ['eci_only never adds tolerations (the template has them)', 'eci_only', [pod('a', { unschedulable: true })], []],
  ])('%s', (_why, mode, pods, want) => {
    expect(burstActions(pods, mode, elastic, nodes).map((a) => `${a.kind}:${a.pod}`)).toEqual(want);
  });

  it('keeps the tolerations a pod has and adds the missing ones', () => {
    const p = pod('a', { unschedulable: true });
    p.spec = { containers: [], tolerations: [{ key: 'x', operator: 'Exists' }] };
    const [action] = burstActions([p], 'eci', elastic, nodes);
    expect(action).toEqual({
      kind: 'tolerate',
      pod: 'a',
      tolerations: [{ key: 'x', operator: 'Exists' }, ...elastic.tolerations],
    });
  });
});

describe('placement', () => {
  it('eci_only requires elastic nodes and tolerates them; the others add nothing to the template', () => {
    expect(templatePlacement('none', elastic)).toEqual({});
    expect(templatePlacement('eci', elastic)).toEqual({});
    expect(templatePlacement('eci_only', elastic)).toEqual({
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [{ matchExpressions: [{ key: 'type', operator: 'In', values: ['virtual-kubelet'] }] }],
          },
        },
      },
      tolerations: elastic.tolerations,
    });
  });

  it('knows an elastic node by every label of the selector', () => {
    expect(isElasticNode({ type: 'virtual-kubelet' }, elastic)).toBe(true);
    expect(isElasticNode({ type: 'kwok' }, elastic)).toBe(false);
    expect(isElasticNode(undefined, elastic)).toBe(false);
  });
});
