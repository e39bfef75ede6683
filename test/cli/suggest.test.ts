// A mistyped flag or command is refused (exit 2) with the closest valid one named.
import { describe, expect, it } from 'vitest';
import { closestFlag, parseFlags } from '../../src/cli/suggest';
import { EngineError } from '../../src/engine/errors';

describe('did you mean', () => {
  it('names the closest flag of a mistyped one, and none for a far one', () => {
    const options = { model: { type: 'string' }, 'max-drop': { type: 'string' }, limit: { type: 'string' } } as const;
    let err: unknown;
    try {
      parseFlags(['--modle', 'x'], options);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(EngineError);
    expect((err as EngineError).code).toBe('invalid_argument');
    expect((err as EngineError).message).toMatch(/Unknown option '--modle'; did you mean --model\?/);
    expect(closestFlag('--max-dorp', Object.keys(options))).toBe('--max-drop');
    expect(closestFlag('--zzzzzzzz', Object.keys(options))).toBeFalsy();
  });
});
