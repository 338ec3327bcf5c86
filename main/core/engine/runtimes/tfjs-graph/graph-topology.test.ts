// The GraphDef reading on its own: tensor references, the logits behind a final Softmax, network order and
// the cut at a node with a skip connection.
import { describe, expect, it } from 'vitest';
import { GraphTopology, nodeName } from './graph-topology';

const node = (name: string, op: string, ...input: string[]) => ({ name, op, input });

/** x → conv → relu → split (two outputs); add(split:1, relu) → mean → logits → softmax → reshape → Identity. */
const nodes = [
  node('Identity', 'Identity', 'out/Reshape'),
  node('out/Reshape', 'Reshape', 'probs', 'shape'),
  node('probs', 'Softmax', 'logits'),
  node('logits', 'MatMul', 'mean', 'w2'),
  node('mean', 'Mean', 'add', 'axes'),
  node('add', 'AddV2', 'split:1', 'relu', '^relu'),
  node('split', 'Split', 'axis', 'conv'),
  node('relu', 'Relu', 'conv'),
  node('conv', 'Conv2D', 'x', 'w1'),
  node('x', 'Placeholder'),
  ...['w1', 'w2', 'axes', 'axis', 'shape'].map((name) => node(name, 'Const')),
];

describe('GraphTopology', () => {
  const topology = new GraphTopology(nodes);

  it('reads tensor references', () => {
    expect(['a', 'a:0', 'a:12', '^a', 'scope/a:1'].map(nodeName)).toEqual(['a', 'a', 'a', 'a', 'scope/a']);
  });

  it('finds the logits behind a Softmax that only shape-changing ops follow', () => {
    expect(topology.logitsOf('Identity')).toEqual({ ref: 'logits', strippedSoftmax: true });
    expect(topology.logitsOf('mean')).toEqual({ ref: 'mean', strippedSoftmax: false });
  });

  it('orders every node after the nodes it reads', () => {
    const position = new Map(topology.order.map((name, i) => [name, i]));
    for (const { name, input } of nodes) for (const ref of input) expect(position.get(nodeName(ref))!).toBeLessThan(position.get(name)!);
    expect(topology.between('x', 'logits')).toEqual(topology.order.filter((name) => ['conv', 'relu', 'split', 'add', 'mean'].includes(name)));
  });

  it('cuts at a node: the head after it, and the tensors the head reads from before the cut, weights excluded', () => {
    expect(topology.cut('relu', 'logits')).toEqual({ head: ['add', 'mean', 'logits'], constants: ['split:1'] });
    expect(topology.cut('conv', 'logits')).toEqual({ head: topology.order.filter((name) => ['relu', 'split', 'add', 'mean', 'logits'].includes(name)), constants: [] });
  });

  it('refuses a graph that reads a node it does not have, or has a cycle', () => {
    expect(() => new GraphTopology([node('a', 'Relu', 'missing')])).toThrow('Graph node a reads missing, which is not in the graph');
    expect(() => new GraphTopology([node('a', 'Relu', 'b'), node('b', 'Relu', 'a')])).toThrow(/The graph has a cycle through node/);
  });
});
