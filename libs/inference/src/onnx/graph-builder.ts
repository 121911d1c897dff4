/**
 * The ONNX graph under construction: nodes, initialisers (weights) and unique names, encoded with the official
 * onnx.proto (onnx v1.10.2 schema, compiled for protobufjs by the `onnx-proto` package).
 */
import { createRequire } from 'node:module';
import type { onnx as OnnxTypes } from 'onnx-proto';

const require = createRequire(import.meta.url);
/** onnx-proto is CommonJS (`module.exports = root`); requiring it works the same under tsx, vitest and node. */
export const { onnx } = require('onnx-proto') as { onnx: typeof OnnxTypes };
export type { OnnxTypes };

export const ONNX_OPSET = 17;
export const ONNX_IR_VERSION = 8;
/** The symbolic batch dimension of the graph's input and output. */
export const BATCH_DIM = 'batch';
export const OUTPUT_NAME = 'embedding';

/** A layer or option the exporter does not handle: refused by name rather than converted into something else. */
export class UnsupportedLayerError extends Error {
  override name = 'UnsupportedLayerError';
}

type AttrValue = number | number[] | string | { float: number };

export class GraphBuilder {
  readonly nodes: OnnxTypes.INodeProto[] = [];
  readonly initializers: OnnxTypes.ITensorProto[] = [];
  parameters = 0;
  private readonly used = new Set<string>();

  unique(base: string): string {
    let name = base;
    for (let i = 1; this.used.has(name); i++) name = `${base}_${i}`;
    this.used.add(name);
    return name;
  }

  constFloat(base: string, data: Float32Array | readonly number[], dims: readonly number[]): string {
    const name = this.unique(base);
    const values = data instanceof Float32Array ? data : Float32Array.from(data);
    const size = dims.reduce((a, b) => a * b, 1);
    if (values.length !== size) throw new Error(`constant ${name}: ${values.length} values for dims [${dims.join(', ')}]`);
    this.initializers.push({
      name,
      dims: [...dims],
      dataType: onnx.TensorProto.DataType.FLOAT,
      rawData: new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength)),
    });
    this.parameters += values.length;
    return name;
  }

  constInt64(base: string, data: readonly number[]): string {
    const name = this.unique(base);
    const values = BigInt64Array.from(data.map((v) => BigInt(v)));
    this.initializers.push({
      name,
      dims: [data.length],
      dataType: onnx.TensorProto.DataType.INT64,
      rawData: new Uint8Array(values.buffer),
    });
    return name;
  }

  node(opType: string, inputs: string[], outputBase: string, attrs: Record<string, AttrValue> = {}): string {
    const output = this.unique(outputBase);
    const attribute: OnnxTypes.IAttributeProto[] = Object.entries(attrs).map(([name, v]) => {
      const A = onnx.AttributeProto.AttributeType;
      if (Array.isArray(v)) return { name, type: A.INTS, ints: v };
      if (typeof v === 'number') return { name, type: A.INT, i: v };
      if (typeof v === 'string') return { name, type: A.STRING, s: new TextEncoder().encode(v) };
      return { name, type: A.FLOAT, f: v.float };
    });
    this.nodes.push({ opType, input: inputs, output: [output], name: output, attribute });
    return output;
  }
}

export function tensorInfo(name: string, dims: (number | string)[]): OnnxTypes.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}
