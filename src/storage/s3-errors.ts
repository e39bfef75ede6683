// Maps AWS SDK and network failures to StorageError codes the HTTP layer understands.
import { StorageError, type StorageErrorCode } from './store';

interface SdkErrorLike {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number; attempts?: number };
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH',
  'ENETUNREACH', 'ECONNABORTED', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT',
]);
const NETWORK_NAMES = new Set(['TimeoutError', 'RequestTimeout', 'AbortError', 'NetworkingError']);
/** workerd's fetch fails on a dropped or garbled connection with a plain Error whose message says so. */
const WORKERD_NETWORK = /network connection lost|disconnected|premature EOF|invalid response status line|^internal error; reference/i;

function codeFor(e: SdkErrorLike): StorageErrorCode {
  const status = e.$metadata?.httpStatusCode;
  if (status === undefined) {
    // No HTTP answer: the request never completed (refused, reset, timed out; on Workers fetch throws a TypeError).
    const network = NETWORK_CODES.has(e.code ?? '') || NETWORK_NAMES.has(e.name ?? '') ||
      (e.name === 'TypeError' && e.$metadata !== undefined) || WORKERD_NETWORK.test(e.message ?? '');
    return network ? 'unavailable' : 'storage_failure';
  }
  if (status >= 500 || status === 429 || e.name === 'SlowDown') return 'unavailable';
  // 412 PreconditionFailed (If-None-Match lost), 409 ConditionalRequestConflict (concurrent conditional write).
  if (status === 412 || status === 409) return 'conflict';
  if (status === 404) return e.name === 'NoSuchBucket' ? 'storage_failure' : 'not_found';
  if (status === 401 || status === 403) return 'forbidden';
  return 'storage_failure';
}

export function classifyS3Error(err: unknown, bucket: string, key: string, op: string): StorageError {
  if (err instanceof StorageError) return err;
  const e = (typeof err === 'object' && err !== null ? err : {}) as SdkErrorLike;
  const code = codeFor(e);
  const status = e.$metadata?.httpStatusCode;
  const attempts = e.$metadata?.attempts;
  const what = status === undefined ? `${e.code ?? e.name ?? 'error'}` : `HTTP ${status} ${e.name ?? ''}`.trim();
  const detail =
    code === 'storage_failure' && e.name === 'NoSuchBucket'
      ? `expected bucket ${bucket} to exist, got NoSuchBucket`
      : `expected ${op} ${key} to succeed, got ${what}${attempts && attempts > 1 ? ` after ${attempts} attempts` : ''}`;
  // A compact cause: the SDK error carries the whole HTTP response, which would flood logs.
  const cause = { name: e.name, code: e.code, status, message: e.message };
  return new StorageError(code, detail, key, { cause });
}
