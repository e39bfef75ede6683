// Data as uploaded: an .npz (arrays) or a zip of class folders of images, told apart by content, and fitted to a model.
import { datasetFromNpz, fitToModel } from './dataset';
import { imageFolderToDataset, readImageFolder, type ImageFolder, type ImageFolderLimits } from './image-folder';
import type { NpzLimits } from './npz';
import type { Dataset } from './types';
import { readZipDirectory } from './zip';

/** Arrays (decoded) or an image folder (decoded only when fitted, since the model's input size decides the resize). */
export type DataSource = Dataset | ImageFolder;

export const isImageFolder = (s: DataSource): s is ImageFolder => (s as ImageFolder).kind === 'images';

/** 'npz' when the zip holds any .npy entry, or is not a zip at all (the .npz reader then says what is wrong). */
export function dataFormat(bytes: Uint8Array): 'npz' | 'images' {
  let names: string[];
  try {
    names = readZipDirectory(bytes, Number.MAX_SAFE_INTEGER).map((e) => e.name);
  } catch {
    return 'npz';
  }
  return names.length === 0 || names.some((n) => n.toLowerCase().endsWith('.npy')) ? 'npz' : 'images';
}

export interface SourceLimits { npz?: Partial<NpzLimits>; images?: Partial<ImageFolderLimits> }

export function dataSourceFromBytes(bytes: Uint8Array, name: string, limits: SourceLimits = {}): DataSource {
  return dataFormat(bytes) === 'npz' ? datasetFromNpz(bytes, name, limits.npz) : readImageFolder(bytes, name, limits.images);
}

export function sourceSize(s: DataSource): number {
  return isImageFolder(s) ? s.samples.length : s.shape[0];
}

/**
 * The data fitted to a model's [H, W, C] and classes. Arrays are checked and shared (cut later);
 * images are decoded and resized now, only the first `limit` of them.
 */
export function fitSource(s: DataSource, inputShape: readonly [number, number, number], numClasses: number, limit?: number): Dataset {
  return isImageFolder(s) ? imageFolderToDataset(s, inputShape, numClasses, limit) : fitToModel(s, inputShape, numClasses);
}
