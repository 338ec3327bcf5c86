// Builds an ONNX graph node by node with onnx-proto's generated types: unique names, weights as
// initializers, attributes typed from their JavaScript values.
import onnxProto from 'onnx-proto';

export const { onnx } = onnxProto;
export type ModelProto = onnxProto.onnx.ModelProto;
export type GraphProto = onnxProto.onnx.GraphProto;
export type NodeProto = onnxProto.onnx.NodeProto;
export type AttributeProto = onnxProto.onnx.IAttributeProto;
export type TensorProto = onnxProto.onnx.ITensorProto;

/** A decoded graph: decoding fills every repeated field and nodes are NodeProto instances. */
export type DecodedGraph = Omit<GraphProto, 'node'> & { node: NodeProto[] };

export function graphOf(model: ModelProto): DecodedGraph {
  if (!model.graph) throw new Error('The ONNX file holds no graph');
  return model.graph as DecodedGraph;
}

/** ONNX operator set the converter writes (HardSigmoid, Clip with inputs, Softmax with any axis). */
export const OPSET = 13;

/** Whole numbers are INT attributes; floats are written `{ float: value }`. */
type AttributeValue = number | number[] | string | { float: number };

export class GraphBuilder {
  readonly nodes: onnxProto.onnx.INodeProto[] = [];
  readonly initializers: onnxProto.onnx.ITensorProto[] = [];
  private readonly used = new Set<string>();

  /** `base`, or `base_2`, `base_3`… when taken. */
  fresh(base: string): string {
    let name = base;
    for (let n = 2; this.used.has(name); n++) name = `${base}_${n}`;
    this.used.add(name);
    return name;
  }

  /** Claims a name chosen by the caller (graph inputs and outputs). */
  reserve(name: string): string {
    if (this.used.has(name)) throw new Error(`ONNX tensor name ${name} is used twice`);
    this.used.add(name);
    return name;
  }

  /** Adds one node; returns its output's name (`output` when given, else a fresh one from `hint`). */
  op(opType: string, inputs: string[], attributes: Record<string, AttributeValue> = {}, hint = opType, output?: string): string {
    const out = output ?? this.fresh(hint);
    this.nodes.push({
      opType,
      name: this.fresh(`${hint}/${opType}`),
      input: inputs,
      output: [out],
      attribute: Object.entries(attributes).map(([name, value]) => attribute(name, value)),
    });
    return out;
  }

  floats(hint: string, values: Float32Array, dims: number[]): string {
    const name = this.fresh(hint);
    const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
    this.initializers.push({ name, dataType: onnx.TensorProto.DataType.FLOAT, dims, rawData: bytes.slice() });
    return name;
  }

  int64s(hint: string, values: number[]): string {
    const name = this.fresh(hint);
    const data = BigInt64Array.from(values, (value) => BigInt(value));
    this.initializers.push({
      name,
      dataType: onnx.TensorProto.DataType.INT64,
      dims: [values.length],
      rawData: new Uint8Array(data.buffer),
    });
    return name;
  }

  scalar(hint: string, value: number): string {
    const name = this.fresh(hint);
    this.initializers.push({ name, dataType: onnx.TensorProto.DataType.FLOAT, dims: [], floatData: [value] });
    return name;
  }
}

function attribute(name: string, value: AttributeValue): onnxProto.onnx.IAttributeProto {
  const { AttributeType } = onnx.AttributeProto;
  if (typeof value === 'string') return { name, type: AttributeType.STRING, s: new TextEncoder().encode(value) };
  if (Array.isArray(value)) return { name, type: AttributeType.INTS, ints: value };
  if (typeof value === 'object') return { name, type: AttributeType.FLOAT, f: value.float };
  return { name, type: AttributeType.INT, i: value };
}

/** A float tensor's value info: element type and, when known, its shape (null sides are symbolic). */
export function floatValueInfo(name: string, shape?: (number | string | null)[]): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: shape && { dim: shape.map((side) => (typeof side === 'number' ? { dimValue: side } : { dimParam: side ?? 'N' })) },
      },
    },
  };
}
