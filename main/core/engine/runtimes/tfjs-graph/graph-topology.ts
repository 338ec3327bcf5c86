// The node list of a TF.js graph model (a GraphDef as tensorflowjs_converter writes it), read for what the
// CAM pipeline needs: where the logits are, which nodes lie between the input and the logits, and, for a
// target node, the head (the nodes after it) and the tensors that enter the head from before the cut.
// No TF.js here: tfjs-converter runs the graph; this only reads its structure.

export interface GraphNodeDef {
  name: string;
  op: string;
  input?: string[];
}

interface GraphNode {
  name: string;
  op: string;
  /** Tensor references (`node` or `node:k`); control inputs (`^node`) without the caret. */
  inputs: string[];
}

/** Ops that only rename a tensor or change its shape: a Softmax behind them is still the model's last op. */
const SHAPE_ONLY = new Set(['Identity', 'Reshape', 'Squeeze', 'Snapshot', 'StopGradient']);

/** Node name of a tensor reference `name`, `name:k` or `^name`. */
export function nodeName(ref: string): string {
  const bare = ref.startsWith('^') ? ref.slice(1) : ref;
  const colon = bare.lastIndexOf(':');
  return colon > 0 && /^\d+$/.test(bare.slice(colon + 1)) ? bare.slice(0, colon) : bare;
}

export class GraphTopology {
  private readonly nodes = new Map<string, GraphNode>();
  private readonly readers = new Map<string, string[]>();
  /** Every node, inputs before the nodes that read them. */
  readonly order: string[];

  constructor(defs: GraphNodeDef[]) {
    for (const def of defs) {
      const inputs = (def.input ?? []).map((ref) => (ref.startsWith('^') ? ref.slice(1) : ref));
      this.nodes.set(def.name, { name: def.name, op: def.op, inputs });
    }
    for (const node of this.nodes.values()) {
      for (const ref of node.inputs) {
        const from = nodeName(ref);
        this.readers.set(from, [...(this.readers.get(from) ?? []), node.name]);
      }
    }
    this.order = this.topologicalOrder();
  }

  has(name: string): boolean {
    return this.nodes.has(name);
  }

  op(name: string): string | undefined {
    return this.nodes.get(name)?.op;
  }

  inputsOf(name: string): string[] {
    return this.nodes.get(name)?.inputs ?? [];
  }

  /**
   * The tensor that holds the logits for the output `outputRef`: the input of a final Softmax (behind
   * shape-only ops), else the output itself.
   */
  logitsOf(outputRef: string): { ref: string; strippedSoftmax: boolean } {
    let cursor = nodeName(outputRef);
    while (SHAPE_ONLY.has(this.op(cursor) ?? '') && this.inputsOf(cursor).length > 0) cursor = nodeName(this.inputsOf(cursor)[0]);
    if (this.op(cursor) === 'Softmax') return { ref: this.inputsOf(cursor)[0], strippedSoftmax: true };
    return { ref: outputRef, strippedSoftmax: false };
  }

  /** `names` and every node they read, directly or not. */
  ancestors(names: string[]): Set<string> {
    const seen = new Set<string>();
    const stack = [...names];
    while (stack.length > 0) {
      const name = stack.pop()!;
      if (seen.has(name) || !this.nodes.has(name)) continue;
      seen.add(name);
      for (const ref of this.inputsOf(name)) stack.push(nodeName(ref));
    }
    return seen;
  }

  /** `name` and every node that reads it, directly or not. */
  descendants(name: string): Set<string> {
    const seen = new Set<string>();
    const stack = [name];
    while (stack.length > 0) {
      const current = stack.pop()!;
      if (seen.has(current)) continue;
      seen.add(current);
      stack.push(...(this.readers.get(current) ?? []));
    }
    return seen;
  }

  /** Nodes on a path from `input` to the node `to` (both excluded), in network order, without weights. */
  between(input: string, to: string): string[] {
    const upstream = this.ancestors([to]);
    const downstream = this.descendants(input);
    return this.order.filter((name) => name !== input && name !== to && upstream.has(name) && downstream.has(name) && this.op(name) !== 'Const');
  }

  /**
   * The head after `target` towards the node `logits`, and the tensors it reads from before the cut (skip
   * connections; weights excluded): those must be fed with the target's activations.
   */
  cut(target: string, logits: string): { head: string[]; constants: string[] } {
    const downstream = this.descendants(target);
    const upstream = this.ancestors([logits]);
    const head = this.order.filter((name) => name !== target && downstream.has(name) && upstream.has(name));
    const inHead = new Set(head);
    const constants = new Set<string>();
    for (const name of head) {
      for (const ref of this.inputsOf(name)) {
        const from = nodeName(ref);
        if (from !== target && !inHead.has(from) && this.op(from) !== 'Const') constants.add(ref);
      }
    }
    return { head, constants: [...constants] };
  }

  private topologicalOrder(): string[] {
    const order: string[] = [];
    const state = new Map<string, 'visiting' | 'done'>();
    const visit = (start: string) => {
      // Iterative depth-first search: graphs can be deeper than the call stack.
      const stack: { name: string; next: number }[] = [{ name: start, next: 0 }];
      state.set(start, 'visiting');
      while (stack.length > 0) {
        const top = stack[stack.length - 1];
        const inputs = this.inputsOf(top.name);
        if (top.next < inputs.length) {
          const from = nodeName(inputs[top.next++]);
          if (!this.nodes.has(from)) throw new Error(`Graph node ${top.name} reads ${from}, which is not in the graph`);
          const seen = state.get(from);
          if (seen === 'visiting') throw new Error(`The graph has a cycle through node ${from} (control flow is not supported)`);
          if (!seen) {
            state.set(from, 'visiting');
            stack.push({ name: from, next: 0 });
          }
          continue;
        }
        state.set(top.name, 'done');
        order.push(top.name);
        stack.pop();
      }
    };
    for (const name of this.nodes.keys()) if (!state.has(name)) visit(name);
    return order;
  }
}
