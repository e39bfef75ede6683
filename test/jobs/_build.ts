// Bundles the runner's worker-thread entry and the kill-and-resume child script for the jobs tests (tfjs only
// runs bundled in plain Node, see scripts/build.mjs). Usable as a vitest globalSetup and from beforeAll.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, renameSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = fileURLToPath(new URL('../..', import.meta.url));
// One folder per checkout: node_modules may be shared by several worktrees, whose sources differ.
const out = join(root, 'node_modules', '.cache', `qaudit-jobs-test-${createHash('sha256').update(root).digest('hex').slice(0, 12)}`);
export const WORKER_PATH = join(out, 'audit-worker.mjs');
export const CHILD_PATH = join(out, 'job-child.mjs');
/** The Node entry (`npm start`'s dist/node.mjs), for tests that signal a real server process. */
export const SERVER_PATH = join(out, 'qaudit-server.mjs');

const ENTRIES: Record<string, string> = { 'audit-worker': 'src/jobs/worker.node.ts', 'job-child': 'test/jobs/_child.ts', 'qaudit-server': 'src/node.ts' };

function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

function fresh(): boolean {
  const built = [WORKER_PATH, CHILD_PATH, SERVER_PATH].map((p) => (existsSync(p) ? statSync(p).mtimeMs : 0));
  return Math.min(...built) > Math.max(newest(join(root, 'src')), newest(join(root, 'test', 'jobs')));
}

async function bundle(): Promise<void> {
  const r = await build({
    absWorkingDir: root, entryPoints: ENTRIES, outdir: out, outExtension: { '.js': '.mjs' }, write: false,
    bundle: true, platform: 'node', format: 'esm', target: 'node20', logLevel: 'warning',
    // The same shim as scripts/build.mjs: CommonJS in the bundle calls require and reads __dirname.
    banner: { js: [
      "import { createRequire as __qaCreateRequire } from 'node:module';",
      "import { fileURLToPath as __qaToPath } from 'node:url';",
      'const require = __qaCreateRequire(import.meta.url);',
      'const __filename = __qaToPath(import.meta.url);',
      "const __dirname = __qaToPath(new URL('.', import.meta.url));",
    ].join('\n') },
  });
  // Written beside, then renamed: test files building at once never see a half-written bundle.
  for (const f of r.outputFiles) {
    mkdirSync(dirname(f.path), { recursive: true });
    const tmp = `${f.path}.${process.pid}.tmp`;
    writeFileSync(tmp, f.contents);
    renameSync(tmp, f.path);
  }
}

let once: Promise<void> | undefined;
export function ensureBuilt(): Promise<void> {
  once ??= fresh() ? Promise.resolve() : bundle();
  return once;
}

export default async function setup(): Promise<void> {
  await ensureBuilt();
}
