// Bundles the Node entry points (CLI, server) with esbuild into dist/. Bundling resolves tfjs through its ES
// module build, where the gradient registrations can be imported (plain Node resolution of them fails).
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

// CommonJS inside a bundle (the emscripten loader, the AWS SDK) calls require and reads __dirname.
export const NODE_BANNER = [
  "import { createRequire as __qaCreateRequire } from 'node:module';",
  "import { fileURLToPath as __qaToPath } from 'node:url';",
  'const require = __qaCreateRequire(import.meta.url);',
  'const __filename = __qaToPath(import.meta.url);',
  "const __dirname = __qaToPath(new URL('.', import.meta.url));",
].join('\n');

export async function buildNode() {
  await build({
    absWorkingDir: root,
    entryPoints: {
      cli: 'src/cli/main.ts',
      node: 'src/node.ts',
      // Worker-thread entry of the Node job runner (src/jobs/pool.node.ts finds it next to cli.mjs).
      'audit-worker': 'src/jobs/worker.node.ts',
      'seed-mnist': 'src/jobs/seed.node.ts',
    },
    outdir: 'dist',
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: true,
    logLevel: 'warning',
    banner: { js: NODE_BANNER },
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildNode();
