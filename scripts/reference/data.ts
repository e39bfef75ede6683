// Dumps the built-in MNIST splits, grey 28x28x1 and colour 32x32x3, as .npz for the PyTorch reference scripts.
// Usage: node scripts/run-ts.mjs scripts/reference/data.ts [--out .data/reference]
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadBuiltinMnist } from '../../src/data/mnist.node';
import { writeNpz } from '../../src/engine/data/npz';
import type { Dataset } from '../../src/engine/data/types';
import { colourMnist } from './colour';

const { values } = parseArgs({ options: { out: { type: 'string', default: '.data/reference' } } });
const out = values.out!;
mkdirSync(out, { recursive: true });

const { train, test } = loadBuiltinMnist();
const arrays = (tr: Dataset, te: Dataset) => ({
  x_train: { dtype: 'uint8' as const, shape: tr.shape, data: tr.x },
  y_train: { dtype: 'int32' as const, shape: [tr.shape[0]], data: tr.y },
  x_test: { dtype: 'uint8' as const, shape: te.shape, data: te.x },
  y_test: { dtype: 'int32' as const, shape: [te.shape[0]], data: te.y },
});
for (const [file, tr, te] of [
  ['mnist.npz', train, test],
  ['rgb32.npz', colourMnist(train), colourMnist(test)],
] as const) {
  writeFileSync(join(out, file), writeNpz(arrays(tr, te)));
  console.log(`${join(out, file)}: train ${tr.shape.join('x')}, test ${te.shape.join('x')}`);
}
