// The SDK-error -> StorageError code table the HTTP layer relies on (404/409/503/500).
import { describe, expect, it } from 'vitest';
import { classifyS3Error } from '../../src/storage/s3-errors';

const sdk = (name: string, status?: number, extra: object = {}) =>
  Object.assign(new Error(name), { name, $metadata: status === undefined ? { attempts: 4 } : { httpStatusCode: status, attempts: 1 } }, extra);

describe('classifyS3Error', () => {
  it.each([
    [sdk('NoSuchKey', 404), 'not_found'],
    [sdk('NotFound', 404), 'not_found'],
    [sdk('NoSuchBucket', 404), 'storage_failure'],
    [sdk('PreconditionFailed', 412), 'conflict'],
    [sdk('ConditionalRequestConflict', 409), 'conflict'],
    [sdk('InternalError', 500), 'unavailable'],
    [sdk('ServiceUnavailable', 503), 'unavailable'],
    [sdk('SlowDown', 503), 'unavailable'],
    [sdk('TooManyRequests', 429), 'unavailable'],
    [sdk('AccessDenied', 403), 'forbidden'],
    [sdk('InvalidArgument', 400), 'storage_failure'],
    [sdk('Error', undefined, { code: 'ECONNRESET' }), 'unavailable'],
    [sdk('TimeoutError'), 'unavailable'],
    [sdk('TypeError'), 'unavailable'],
    [new TypeError('x is not a function'), 'storage_failure'],
  ])('%s -> %s', (err, code) => {
    const e = classifyS3Error(err, 'b', 'k', 'get');
    expect(e.code).toBe(code);
    expect(e.retryable).toBe(code === 'unavailable');
    expect(e.message).toMatch(/^expected /);
  });
});
