// A small GitHub Actions runner emulation for composite actions: reads action.yml with `yaml`, fills inputs
// (defaults, required), evaluates the `${{ }}` forms the action uses, and runs each `run:` step as the runner does
// (bash --noprofile --norc -eo pipefail FILE, GITHUB_* variables, fresh GITHUB_OUTPUT / GITHUB_STEP_SUMMARY files
// per step). `uses:` steps are recorded, not run: the test machine already has what they set up (Node 20).
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

interface Step { name?: string; id?: string; if?: string; uses?: string; run?: string; shell?: string; env?: Record<string, string>; 'working-directory'?: string; with?: Record<string, string> }
interface Action { name: string; inputs: Record<string, { required?: boolean; default?: string }>; outputs: Record<string, { value: string }>; runs: { using: string; steps: Step[] } }

export interface RunResult {
  /** Outcome per step, in order: success, failure or skipped (a `uses:` step, or after a failure). */
  steps: { name: string; outcome: 'success' | 'failure' | 'skipped'; exitCode?: number; stdout: string; stderr: string }[];
  outputs: Record<string, string>;
  /** Every step's GITHUB_STEP_SUMMARY, concatenated as the job page shows them. */
  summary: string;
  /** The environment each run step saw. */
  envs: Record<string, string>[];
}

/** name=value lines and name<<DELIM heredocs, as `core.setOutput` and `echo >> $GITHUB_OUTPUT` write them. */
export function parseCommandFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const body: string[] = [];
      while (++i < lines.length && lines[i] !== heredoc[2]) body.push(lines[i]!);
      out[heredoc[1]!] = body.join('\n');
    } else if (line.includes('=')) {
      out[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1);
    }
  }
  return out;
}

function evaluate(text: string, ctx: { inputs: Record<string, string>; steps: Record<string, Record<string, string>>; github: Record<string, string> }): string {
  return text.replace(/\$\{\{\s*(.+?)\s*\}\}/g, (_, expr: string) => {
    const m = /^(inputs|github)\.([\w-]+)$/.exec(expr) ?? /^steps\.([\w-]+)\.outputs\.([\w-]+)$/.exec(expr);
    if (!m) throw new Error(`the emulation does not evaluate \${{ ${expr} }}`);
    if (expr.startsWith('steps.')) return ctx.steps[m[1]!]?.[m[2]!] ?? '';
    return (m[1] === 'inputs' ? ctx.inputs : ctx.github)[m[2]!] ?? '';
  });
}

function run(cmd: string, args: string[], cwd: string, env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => done({ code: code ?? 1, stdout, stderr }));
  });
}

export async function runAction(o: { actionPath: string; workspace: string; inputs: Record<string, string>; env?: Record<string, string> }): Promise<RunResult> {
  const action = parse(readFileSync(join(o.actionPath, 'action.yml'), 'utf8')) as Action;
  if (action.runs.using !== 'composite') throw new Error(`expected a composite action, got ${action.runs.using}`);
  const inputs: Record<string, string> = {};
  for (const [name, spec] of Object.entries(action.inputs)) {
    if (o.inputs[name] === undefined && spec.required) throw new Error(`Input required and not supplied: ${name}`);
    inputs[name] = o.inputs[name] ?? spec.default ?? '';
  }
  for (const name of Object.keys(o.inputs)) if (!(name in action.inputs)) throw new Error(`Unexpected input '${name}'`);
  const temp = join(o.workspace, '..', `runner-temp-${Date.now()}`);
  mkdirSync(temp, { recursive: true });
  const github = { action_path: o.actionPath, workspace: o.workspace };
  const base: Record<string, string> = {
    ...(Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GITHUB_') && !k.startsWith('QAUDIT_'))) as Record<string, string>),
    CI: 'true', GITHUB_ACTIONS: 'true', GITHUB_WORKSPACE: o.workspace, GITHUB_ACTION_PATH: o.actionPath, RUNNER_TEMP: temp, RUNNER_OS: 'Linux',
    GITHUB_REPOSITORY: 'acme/model', GITHUB_EVENT_NAME: 'pull_request', GITHUB_SHA: '0'.repeat(40), ...o.env,
  };
  const result: RunResult = { steps: [], outputs: {}, summary: '', envs: [] };
  const steps: Record<string, Record<string, string>> = {};
  let failed = false;
  for (const [i, step] of action.runs.steps.entries()) {
    const name = step.name ?? step.uses ?? `step ${i}`;
    const always = step.if !== undefined && /always\(\)/.test(step.if);
    if (step.uses || (failed && !always)) {
      result.steps.push({ name, outcome: 'skipped', stdout: '', stderr: '' });
      continue;
    }
    if (step.shell !== 'bash') throw new Error(`step ${name}: a composite run step needs shell: bash here, got ${step.shell}`);
    const ctx = { inputs, steps, github };
    const files = { GITHUB_OUTPUT: join(temp, `output-${i}`), GITHUB_STEP_SUMMARY: join(temp, `summary-${i}`), GITHUB_ENV: join(temp, `env-${i}`), GITHUB_PATH: join(temp, `path-${i}`) };
    for (const f of Object.values(files)) writeFileSync(f, '');
    const env: Record<string, string> = { ...base, ...files };
    for (const [k, v] of Object.entries(step.env ?? {})) env[k] = evaluate(String(v), ctx);
    const script = join(temp, `step-${i}.sh`);
    writeFileSync(script, evaluate(step.run!, ctx));
    const cwd = step['working-directory'] ? evaluate(step['working-directory'], ctx) : o.workspace;
    result.envs.push(env);
    const r = await run('bash', ['--noprofile', '--norc', '-eo', 'pipefail', script], cwd, env);
    if (step.id) steps[step.id] = parseCommandFile(readFileSync(files.GITHUB_OUTPUT, 'utf8'));
    result.summary += readFileSync(files.GITHUB_STEP_SUMMARY, 'utf8');
    result.steps.push({ name, outcome: r.code === 0 ? 'success' : 'failure', exitCode: r.code, stdout: r.stdout, stderr: r.stderr });
    if (r.code !== 0) failed = true;
  }
  for (const [name, spec] of Object.entries(action.outputs)) result.outputs[name] = evaluate(spec.value, { inputs, steps, github });
  return result;
}
