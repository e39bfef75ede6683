// Constructing an S3Store on Node 20 must not print the AWS SDK's Node-version warning to users.
import { afterEach, describe, expect, it, vi } from 'vitest';

describe('S3Store and the SDK Node-version warning', () => {
  afterEach(() => vi.restoreAllMocks());

  it('emits no NodeVersionSupportWarning when the user has not chosen', async () => {
    delete process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED;
    const spy = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    // Imported here so the SDK's once-per-process warning state is fresh in this file's module graph.
    const { S3Store } = await import('../../src/storage/s3');
    const store = new S3Store({ region: 'us-east-1', bucket: 'qaudit', endpoint: 'http://127.0.0.1:1', forcePathStyle: true,
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
    store.close();
    const texts = spy.mock.calls.map((c) => String(c[0]));
    expect(texts.filter((t) => t.includes('NodeVersionSupportWarning'))).toEqual([]);
    expect(process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED).toBe('true');
  });
});
