// Types of the fields qaudit reads from the generated decoder (proto.js); int64 fields are numbers or Long-like.
export type Int64 = number | { low: number; high: number; unsigned: boolean };

export interface TensorProto {
  dims: Int64[]; dataType: number; name: string; rawData: Uint8Array; floatData: number[]; int32Data: number[];
  int64Data: Int64[]; doubleData: number[]; uint64Data: Int64[]; dataLocation: number;
  externalData: { key: string; value: string }[]; segment: unknown;
}
export interface AttributeProto {
  name: string; type: number; f: number; i: Int64; s: Uint8Array; t: TensorProto | null; g: unknown;
  floats: number[]; ints: Int64[]; strings: Uint8Array[]; refAttrName: string;
}
export interface NodeProto { input: string[]; output: string[]; name: string; opType: string; domain: string; attribute: AttributeProto[] }
export interface ValueInfoProto {
  name: string;
  type: { tensorType: { elemType: number; shape: { dim: { dimValue: Int64 | null; dimParam: string | null }[] } | null } | null } | null;
}
export interface GraphProto {
  node: NodeProto[]; name: string; initializer: TensorProto[]; sparseInitializer: unknown[];
  input: ValueInfoProto[]; output: ValueInfoProto[];
}
export interface ModelProto {
  irVersion: Int64; opsetImport: { domain: string; version: Int64 }[]; producerName: string; graph: GraphProto | null; functions: unknown[];
}
export declare const onnx: { ModelProto: { decode(bytes: Uint8Array): ModelProto } };
