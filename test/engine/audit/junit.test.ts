import { describe, expect, it } from 'vitest';
import { EngineError } from '../../../src/engine/errors';
import { ReportSchema, checkThresholds, parseThresholds, renderJunit } from '../../../src/engine/audit';
import { fakeReport } from './fixtures';

/** A strict little XML well-formedness check: balanced tags, quoted attributes, escaped text. */
function wellFormed(xml: string): { tag: string; attrs: Record<string, string> }[] {
  const body = xml.replace(/^<\?xml [^?]*\?>\s*/, '');
  const stack: string[] = [];
  const opened: { tag: string; attrs: Record<string, string> }[] = [];
  const re = /<(\/?)([A-Za-z][\w.-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>|([^<]+)/g;
  let at = 0;
  for (let m = re.exec(body); m; m = re.exec(body)) {
    if (m.index !== at) throw new Error(`stray markup at ${at}: ${body.slice(at, at + 30)}`);
    at = re.lastIndex;
    const [, close, tag, attrs, self, text] = m;
    if (text !== undefined) {
      if (/&(?!(amp|lt|gt|quot|apos);)/.test(text)) throw new Error(`unescaped & in ${text}`);
      continue;
    }
    if (close) { if (stack.pop() !== tag) throw new Error(`unbalanced </${tag}>`); continue; }
    const a: Record<string, string> = {};
    for (const x of attrs!.matchAll(/([\w:-]+)="([^"]*)"/g)) a[x[1]!] = x[2]!;
    if (/&(?!(amp|lt|gt|quot|apos);)/.test(attrs!)) throw new Error('unescaped & in attribute');
    opened.push({ tag: tag!, attrs: a });
    if (!self) stack.push(tag!);
  }
  if (at !== body.length || stack.length) throw new Error(`unclosed ${stack.join(', ')}`);
  return opened;
}

describe('thresholds', () => {
  it('parses attack@epsilon=accuracy lists', () => {
    expect(parseThresholds('pgd@0.3=0.5, fgsm@0.1=0.8,worst@0.3=0.25,clean=0.9')).toEqual([
      { target: 'pgd', epsilon: 0.3, min: 0.5 }, { target: 'fgsm', epsilon: 0.1, min: 0.8 },
      { target: 'worst', epsilon: 0.3, min: 0.25 }, { target: 'clean', epsilon: null, min: 0.9 },
    ]);
  });

  it('explains what is wrong', () => {
    const cases: [string, RegExp][] = [
      ['pgd', /malformed threshold, got 'pgd'/],
      ['deepfool@0.3=0.5', /unknown attack 'deepfool'/],
      ['pgd=0.5', /pgd needs an epsilon/],
      ['clean@0.1=0.5', /clean takes no epsilon/],
      ['pgd@x=0.5', /epsilon must be a positive number/],
      ['pgd@0.3=50', /accuracy must be a fraction in \[0, 1\], got 'pgd@0.3=50'/],
    ];
    for (const [text, msg] of cases) {
      expect(() => parseThresholds(text)).toThrow(EngineError);
      expect(() => parseThresholds(text)).toThrow(msg);
    }
  });

  it('checks the lowest accuracy over the quantized variants', () => {
    const r = fakeReport();
    // float's PGD 0.2 is not covered (the float twin is a reference); w4's 0.45 is.
    expect(checkThresholds(r, parseThresholds('pgd@0.3=0.4')).passed).toBe(true);
    const fail = checkThresholds(r, parseThresholds('fgsm@0.3=0.4,worst@0.3=0.2,clean=0.96,pgd@0.1=0.1'));
    expect(fail.passed).toBe(false);
    expect(fail.failures.map((f) => [f.threshold.target, f.actual])).toEqual([['fgsm', 0.35], ['clean', 0.95], ['pgd', null]]);
    expect(fail.failures[2]!.message).toContain('evaluated epsilons: 0.3');
  });
});

describe('renderJunit', () => {
  it('writes well-formed XML with one suite per variant and the right counts', () => {
    const r = ReportSchema.parse(fakeReport());
    const xml = renderJunit(r, parseThresholds('pgd@0.3=0.5,clean=0.9'));
    const tags = wellFormed(xml);
    const suites = tags.filter((t) => t.tag === 'testsuite');
    expect(suites.map((s) => [s.attrs.name, s.attrs.tests, s.attrs.failures])).toEqual([
      ['float', '4', '0'],
      ['w4', '4', '1'], // w4 PGD 0.45 < 0.5
      ['sanity', '2', '1'], // the error flag fails, the warning passes
    ]);
    const root = tags[0]!;
    expect([root.tag, root.attrs.tests, root.attrs.failures]).toEqual(['testsuites', '10', '2']);
    expect(tags.filter((t) => t.tag === 'testcase').length).toBe(10);
    expect(xml).toContain('PGD &quot;weak&quot; &lt; FGSM &amp; co');
  });

  it('fails a threshold that matches nothing instead of passing silently', () => {
    const tags = wellFormed(renderJunit(fakeReport(), parseThresholds('apgd@0.3=0.1')));
    expect(tags.find((t) => t.tag === 'testsuite' && t.attrs.name === 'thresholds')!.attrs.failures).toBe('1');
  });
});
