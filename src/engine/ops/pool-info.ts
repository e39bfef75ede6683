// The geometry of a pooling window (tfjs' Pool2DInfo) from an op's attributes, shared by the op and its gradients.
import * as tf from '@tensorflow/tfjs-core';
import type { NamedAttrMap } from '@tensorflow/tfjs-core';
import type { Padding } from './conv';

export type PoolInfo = ReturnType<typeof tf.backend_util.computePool2DInfo>;

export function geometry(xShape: number[], attrs: NamedAttrMap): PoolInfo {
  return tf.backend_util.computePool2DInfo(
    xShape as [number, number, number, number],
    attrs.filterSize as [number, number],
    attrs.strides as [number, number],
    1,
    attrs.pad as Padding,
  );
}

export function poolAttrs(pool: [number, number], strides: [number, number], pad: Padding): NamedAttrMap {
  return { filterSize: pool, strides, pad };
}
