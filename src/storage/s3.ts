// Store over any S3-compatible server (AWS S3, Cloudflare R2, s3rver) with @aws-sdk/client-s3.
import {
  DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectsCommand, PutObjectCommand, S3Client,
} from '@aws-sdk/client-s3';
import { classifyS3Error } from './s3-errors';
import {
  bytesEqual, checkKey, checkLimit, checkPrefix, StorageError,
  type ListOptions, type ListPage, type ObjectInfo, type PutIfAbsentResult, type PutOptions, type Store,
} from './store';

export interface S3StoreConfig {
  /** Omit for AWS S3; e.g. https://<account>.r2.cloudflarestorage.com for R2, http://127.0.0.1:4568 for s3rver. */
  endpoint?: string;
  /** 'auto' for R2; any string for s3rver. */
  region: string;
  bucket: string;
  /** Omit to use the SDK's default provider chain (env, profile, instance role; Node only). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Path-style URLs (http://host/bucket/key): needed by s3rver and most self-hosted servers. */
  forcePathStyle?: boolean;
  /** Total attempts per request including the first (SDK 'standard' retry mode: exponential backoff with jitter). Default 4. */
  maxAttempts?: number;
  /** Default 5000 ms to connect, 60000 ms per request. */
  connectionTimeoutMs?: number;
  requestTimeoutMs?: number;
}

/** The write of each key in flight in this process (see putIfAbsent). */
const WRITERS = new Map<string, Promise<PutIfAbsentResult>>();

export class S3Store implements Store {
  readonly client: S3Client;
  readonly bucket: string;
  private readonly endpoint: string;

  constructor(config: S3StoreConfig) {
    silenceSdkNodeVersionWarning();
    this.bucket = config.bucket;
    this.endpoint = config.endpoint ?? 'aws';
    this.client = new S3Client({
      endpoint: config.endpoint,
      region: config.region,
      credentials: config.credentials,
      forcePathStyle: config.forcePathStyle ?? false,
      maxAttempts: config.maxAttempts ?? 4,
      retryMode: 'standard',
      requestHandler: {
        connectionTimeout: config.connectionTimeoutMs ?? 5000,
        requestTimeout: config.requestTimeoutMs ?? 60000,
      },
      // Since SDK 3.729 CRC32 checksums are sent and demanded by default; many S3-compatible servers
      // reject or omit them, so only use them where an operation requires it.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  async get(key: string): Promise<Uint8Array | null> {
    checkKey(key);
    // The SDK retries a request that fails, not a body stream cut after the headers (a reset socket): GETs are
    // idempotent, so such a read is repeated here a few times before it counts as an outage.
    for (let attempt = 0; ; attempt++) {
      try {
        const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
        if (!res.Body) return new Uint8Array(0);
        return await res.Body.transformToByteArray();
      } catch (err) {
        try {
          return this.nullIfMissing(err, key, 'get');
        } catch (e) {
          if (!(e instanceof StorageError && e.retryable) || attempt >= 2) throw e;
          await new Promise((r) => setTimeout(r, 50 * 2 ** attempt));
        }
      }
    }
  }

  async head(key: string): Promise<ObjectInfo | null> {
    checkKey(key);
    try {
      const res = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return { key, size: res.ContentLength ?? 0, etag: res.ETag, contentType: res.ContentType };
    } catch (err) {
      return this.nullIfMissing(err, key, 'head');
    }
  }

  async put(key: string, bytes: Uint8Array, options: PutOptions = {}): Promise<void> {
    await this.putRaw(checkKey(key), bytes, options);
  }

  /**
   * Write-once on every server: a HEAD first (s3rver ignores If-None-Match, so without it a retried step
   * would overwrite), then a conditional PUT (atomic on S3/R2: 412 -> compare), then a read-back that
   * catches a concurrent writer on servers without conditional writes. See docs/storage.md for the limits.
   */
  /**
   * Writers of one key in this process run one after another (any number of S3Store objects), so that on servers
   * that ignore `If-None-Match` (s3rver) racing writers of one process never both win; across processes see
   * docs/storage.md.
   */
  putIfAbsent(key: string, bytes: Uint8Array, options: { contentType?: string } = {}): Promise<PutIfAbsentResult> {
    checkKey(key);
    const lock = `${this.endpoint}|${this.bucket}|${key}`;
    const run = (WRITERS.get(lock) ?? Promise.resolve()).catch(() => undefined).then(() => this.writeIfAbsent(key, bytes, options));
    WRITERS.set(lock, run);
    const forget = () => { if (WRITERS.get(lock) === run) WRITERS.delete(lock); };
    run.then(forget, forget);
    return run;
  }

  private async writeIfAbsent(key: string, bytes: Uint8Array, options: { contentType?: string }): Promise<PutIfAbsentResult> {
    if (await this.head(key)) return this.acceptExisting(key, bytes);
    let etag: string | undefined;
    try {
      etag = await this.putRaw(key, bytes, { contentType: options.contentType, ifNoneMatch: '*' });
    } catch (err) {
      if (err instanceof StorageError && err.code === 'conflict') return this.acceptExisting(key, bytes);
      throw err;
    }
    await this.confirmWrite(key, bytes, etag);
    return { written: true };
  }

  async delete(key: string): Promise<void> {
    checkKey(key);
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
    } catch (err) {
      throw classifyS3Error(err, this.bucket, key, 'delete');
    }
  }

  /**
   * ListObjects (v1) with Marker = the last key returned: s3rver 3.7 builds v2 continuation tokens
   * with DES, which OpenSSL 3 (Node >= 17) refuses, so every truncated v2 page fails there with 500.
   * v1 with a key marker is served by AWS S3, R2 and s3rver alike.
   */
  async list(prefix: string, options: ListOptions = {}): Promise<ListPage> {
    checkPrefix(prefix);
    const limit = checkLimit(options.limit);
    if (options.cursor !== undefined) checkKey(options.cursor);
    try {
      const res = await this.client.send(new ListObjectsCommand({
        Bucket: this.bucket, Prefix: prefix || undefined, MaxKeys: limit, Marker: options.cursor,
      }));
      const keys = (res.Contents ?? []).map((o) => o.Key).filter((k): k is string => typeof k === 'string');
      const last = res.NextMarker ?? keys[keys.length - 1];
      return res.IsTruncated && last ? { keys, cursor: last } : { keys };
    } catch (err) {
      throw classifyS3Error(err, this.bucket, prefix, 'list');
    }
  }

  /** Closes pooled connections (Node keeps sockets alive otherwise). */
  close(): void {
    this.client.destroy();
  }

  private async putRaw(key: string, bytes: Uint8Array, options: PutOptions): Promise<string | undefined> {
    try {
      const res = await this.client.send(new PutObjectCommand({
        Bucket: this.bucket, Key: key, Body: bytes, ContentLength: bytes.byteLength,
        ContentType: options.contentType ?? 'application/octet-stream', IfNoneMatch: options.ifNoneMatch,
      }));
      return res.ETag;
    } catch (err) {
      throw classifyS3Error(err, this.bucket, key, 'put');
    }
  }

  private async acceptExisting(key: string, bytes: Uint8Array): Promise<PutIfAbsentResult> {
    const current = await this.get(key);
    if (current && bytesEqual(current, bytes)) return { written: false };
    throw new StorageError('conflict', `expected ${key} to be absent or identical, got ${current ? 'different bytes' : 'an object deleted during the write'}`, key);
  }

  private async confirmWrite(key: string, bytes: Uint8Array, etag: string | undefined): Promise<void> {
    const info = await this.head(key);
    // Same ETag as our PUT returned: the stored object is ours (or byte-identical), whatever the ETag scheme.
    if (info && etag && info.etag === etag) return;
    const current = await this.get(key);
    if (current && bytesEqual(current, bytes)) return;
    throw new StorageError('conflict', `expected ${key} to hold the bytes just written, got a concurrent writer's`, key);
  }

  private nullIfMissing(err: unknown, key: string, op: string): null {
    const e = classifyS3Error(err, this.bucket, key, op);
    if (e.code === 'not_found') return null;
    throw e;
  }
}

/** The SDK warns on Node < 22 at client construction; AWS documents this variable to turn it off
 *  (aws/aws-sdk-js-v3#7983). Set only when the user has not chosen; absent `process` (Workers) is a no-op. */
function silenceSdkNodeVersionWarning(): void {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  if (env && env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED === undefined) {
    env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  }
}
