// The committed src/engine/kernels/kernels.wasm against a rebuild from its C source by scripts/build-kernels.mjs.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

describe('SIMD kernels module', () => {
  const clang = (() => {
    try {
      execFileSync('clang', ['--version'], { stdio: 'ignore' });
      execFileSync('llvm-objdump-14', ['--version'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();
  // Skipped where Debian's clang 14 + lld are absent (CI): the committed module is what runs there.
  it.skipIf(!clang)('the committed kernels.wasm rebuilds to the same bytes (needs clang, lld, llvm-objdump-14)', () => {
    const out = execFileSync('node', ['scripts/build-kernels.mjs', '--check'], { encoding: 'utf8' });
    expect(out).toContain('equal the committed ones');
  }, 60_000);
});
