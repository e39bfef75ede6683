// `qaudit audit --data DIR/` and `--data FILE.zip`: MNIST digits written as PNG class folders give the report the
// same images as an .npz give, at 28x28 (no resize) and at 56x56 RGB (resized and converted back exactly).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { ReportSchema } from '../../src/engine/audit/report';
import { datasetToNpz } from '../../src/engine/data/dataset';
import { loadBuiltinMnist } from '../../src/data/mnist.node';
import { zipDirectory } from '../../src/cli/files';

const dir = mkdtempSync(join(tmpdir(), 'qaudit-images-'));
const qaudit = (...args: string[]) => spawnSync(process.execPath, ['bin/qaudit.mjs', ...args], { encoding: 'utf8', timeout: 240_000 });
const W4 = 'examples/mnist-cnn-w4/model.json';
const PER_CLASS = 3;

/** Three test images of each digit, as class folders 0..9; returns them in the folder's sample order (round-robin). */
function writeDigits(root: string, scale: 1 | 2, channels: 1 | 3): { x: Uint8Array; y: Int32Array } {
  const test = loadBuiltinMnist().test;
  const picked: number[][] = Array.from({ length: 10 }, () => []);
  for (let i = 0; i < test.shape[0] && picked.some((p) => p.length < PER_CLASS); i++) {
    const label = test.y[i]!;
    if (picked[label]!.length < PER_CLASS) picked[label]!.push(i);
  }
  for (const [label, list] of picked.entries()) {
    mkdirSync(join(root, String(label)), { recursive: true });
    for (const i of list) {
      const src = test.x.subarray(i * 784, (i + 1) * 784) as Uint8Array;
      const s = 28 * scale;
      // Nearest-neighbour upscaling by 2: a half-pixel bilinear 2x downscale averages two equal pixels, giving the digit back.
      const data = new Uint8Array(s * s * channels);
      for (let p = 0; p < s * s; p++) data.fill(src[Math.floor(p / s / scale) * 28 + Math.floor((p % s) / scale)]!, p * channels, (p + 1) * channels);
      writeFileSync(join(root, String(label), `${String(i).padStart(5, '0')}.png`), encode({ width: s, height: s, channels, depth: 8, data }));
    }
  }
  writeFileSync(join(root, 'README.txt'), 'not an image: skipped');
  const order: number[] = [];
  for (let r = 0; r < PER_CLASS; r++) for (const list of picked) order.push(list[r]!);
  const x = new Uint8Array(order.length * 784);
  order.forEach((i, k) => x.set(test.x.subarray(i * 784, (i + 1) * 784), k * 784));
  return { x, y: Int32Array.from(order, (i) => test.y[i]!) };
}

const SETTINGS = ['--limit', '30', '--attacks', 'fgsm,pgd', '--steps', '3', '--bits', '2', '--eps', '0.1', '--quiet'];

function audit(data: string, name: string) {
  const out = join(dir, `${name}.json`);
  const r = qaudit('audit', '--model', W4, '--data', data, ...SETTINGS, '--out', out);
  expect(r.status, r.stderr).toBe(0);
  return ReportSchema.parse(JSON.parse(readFileSync(out, 'utf8')));
}

describe('qaudit audit on image folders', { timeout: 240_000 }, () => {
  it('a folder and its zip give the same numbers as the same images in an .npz, with and without resizing', () => {
    const digits = join(dir, 'digits');
    const { x, y } = writeDigits(digits, 1, 1);
    writeDigits(join(dir, 'digits-rgb56'), 2, 3);
    const npz = join(dir, 'digits.npz');
    writeFileSync(npz, datasetToNpz({ name: 'digits', x, y, shape: [30, 28, 28, 1] }));

    const reference = audit(npz, 'npz');
    const folder = audit(`${digits}/`, 'folder');
    expect(folder.data).toMatchObject({ name: 'digits', total: 30 });
    expect(folder.rows).toEqual(reference.rows);
    expect(folder.clean).toEqual(reference.clean);
    const big = audit(join(dir, 'digits-rgb56'), 'rgb56');
    expect(big.rows).toEqual(reference.rows);
    return zipDirectory(digits).then((zip) => {
      writeFileSync(join(dir, 'digits.zip'), zip);
      expect(audit(join(dir, 'digits.zip'), 'zip').rows).toEqual(reference.rows);
    });
  });

  it('refuses a folder without class folders, and a corrupt image by name, with exit code 2', () => {
    const flat = join(dir, 'flat');
    mkdirSync(flat);
    writeFileSync(join(flat, 'a.png'), encode({ width: 1, height: 1, channels: 1, depth: 8, data: new Uint8Array(1) }));
    const r = qaudit('audit', '--model', W4, '--data', flat, '--quiet');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/class folders/);
    const broken = join(dir, 'broken');
    mkdirSync(join(broken, 'cat'), { recursive: true });
    writeFileSync(join(broken, 'cat', 'bad.png'), new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0]));
    const b = qaudit('audit', '--model', W4, '--data', broken, '--quiet');
    expect(b.status).toBe(2);
    expect(b.stderr).toMatch(/cat\/bad\.png/);
  });
});
