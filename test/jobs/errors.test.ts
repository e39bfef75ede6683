import { describe, expect, it } from 'vitest';
import { CATEGORIES, EngineError, categoryOf } from '../../src/engine/errors';
import { StorageError } from '../../src/storage/store';
import { fromWire, toWire } from '../../src/jobs/protocol';
import { errorFromJSON, errorInfo, isTransient } from '../../src/jobs/record';

describe('errors classify themselves', () => {
  it('survive a worker thread (structured clone of toJSON) with class, code, category and pointer', () => {
    const cases = [
      new EngineError('invalid_model', 'expected X, got Y', 'modelTopology.config.layers[3]'),
      new EngineError('engine_failure', 'expected a working runtime, got none'),
      new StorageError('unavailable', 'expected an answer, got ECONNREFUSED', 'jobs/a/state.json'),
      new StorageError('not_found', 'expected an object, got none'),
    ];
    for (const e of cases) {
      const back = fromWire(structuredClone(toWire(e)));
      expect(back).toBeInstanceOf(e.constructor);
      expect(back).toMatchObject({ name: e.name, code: e.code, category: e.category, message: e.message, retryable: e.retryable });
      expect((back as unknown as { toJSON(): unknown }).toJSON()).toEqual(e.toJSON());
    }
  });

  it('keep a plain error plain, and its retryable flag', () => {
    const back = fromWire(structuredClone(toWire(Object.assign(new Error('worker restarted'), { retryable: true }))));
    expect(categoryOf(back)).toBe('internal');
    expect(isTransient(back)).toBe(true);
    expect(errorInfo(back).code).toBe('internal_error');
  });

  it('map to one HTTP status and exit code per category, also from a job record', () => {
    expect(CATEGORIES[new EngineError('invalid_argument', 'm').category]).toEqual({ status: 400, exit: 2 });
    expect(CATEGORIES[new EngineError('limit_exceeded', 'm').category]).toEqual({ status: 422, exit: 2 });
    expect(CATEGORIES[new StorageError('conflict', 'm').category]).toEqual({ status: 409, exit: 2 });
    expect(CATEGORIES[new StorageError('storage_failure', 'm').category]).toEqual({ status: 500, exit: 3 });
    expect(errorFromJSON(errorInfo(new EngineError('invalid_data', 'm')))).toBeInstanceOf(EngineError);
    expect(errorFromJSON(errorInfo(new StorageError('unavailable', 'm')))).toMatchObject({ name: 'StorageError', retryable: true });
    expect(categoryOf(errorFromJSON({ code: 'internal_error', message: 'm' }))).toBe('internal');
  });
});
