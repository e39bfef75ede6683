// Command-line parsing with node's parseArgs, and a "did you mean --x?" for a mistyped flag.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { EngineError } from '../engine/errors';

/** Edit distance with adjacent transpositions counted as one edit (optimal string alignment); short strings only. */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}

/** The closest known flag to a mistyped one, when it is close enough to be a typo. */
export function closestFlag(typed: string, known: string[]): string | undefined {
  const t = typed.replace(/^-+/, '').split('=')[0]!;
  let best: { name: string; d: number } | undefined;
  for (const k of known) {
    const d = k.startsWith(t) && t.length >= 3 ? 0.5 : distance(t, k);
    if (!best || d < best.d) best = { name: k, d };
  }
  return best && best.d <= Math.max(1, Math.floor(t.length / 3)) ? `--${best.name}` : undefined;
}

export function parseFlags<O extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: O, allowPositionals = false) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals });
  } catch (e) {
    const message = (e as Error).message;
    const unknown = /Unknown option '([^']+)'/.exec(message)?.[1];
    const hint = unknown && closestFlag(unknown, Object.keys(options));
    throw new EngineError('invalid_argument', hint ? `${message.replace(/\. To specify.*$/s, '')}; did you mean ${hint}?` : message);
  }
}
