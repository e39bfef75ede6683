// /v1/models: upload a tfjs Layers or an ONNX model (multipart or zip), content-addressed; read its summary back.
import { createRoute } from '@hono/zod-openapi';
import { modelFromMultipart, modelFromZip, mediaType } from './body';
import { subApp, type ResolvedDeps } from './deps';
import { ingestModel, npzInflateLimit, storedModelSummary } from './ingest';
import { ProblemError } from './problem';
import { ModelInfoSchema, Sha256Param, problems } from './schemas';

const upload = createRoute({
  method: 'post',
  path: '/',
  summary: 'Upload a tfjs Layers or an ONNX model',
  description: 'multipart/form-data with model.json and its weight shards (each part a file, matched to the manifest by file name), ' +
    'or one zip of them (top level or one folder) as the body. The id is the SHA-256 of model.json followed by the shards in manifest order. ' +
    'Instead of model.json: one .onnx file (float, or int8/uint8 QDQ) with the external data files it names; its id is the SHA-256 of the .onnx file followed by those files sorted by name.',
  request: {
    body: {
      required: true,
      content: {
        'multipart/form-data': { schema: { type: 'object', additionalProperties: { type: 'string', format: 'binary' } } },
        'application/zip': { schema: { type: 'string', format: 'binary' } },
      },
    },
  },
  responses: {
    200: { description: 'The same model was already stored', content: { 'application/json': { schema: ModelInfoSchema } } },
    201: { description: 'Stored', content: { 'application/json': { schema: ModelInfoSchema } } },
    ...problems(400, 401, 403, 413, 415, 422, 429, 503),
  },
});

const get = createRoute({
  method: 'get',
  path: '/{id}',
  summary: 'A stored model\'s summary',
  request: { params: Sha256Param },
  responses: {
    200: { description: 'The model', content: { 'application/json': { schema: ModelInfoSchema } } },
    ...problems(400, 404, 429, 503),
  },
});

export function modelsApp(deps: ResolvedDeps) {
  const app = subApp();
  const { limits } = deps.config;

  app.openapi(upload, async (c) => {
    const type = mediaType(c.req.raw);
    if (type !== 'multipart/form-data' && type !== 'application/zip') {
      throw new ProblemError(415, 'unsupported_media_type', `expected Content-Type multipart/form-data or application/zip, got ${type || 'none'}`, 'header.content-type');
    }
    const bytes = await c.req.bytes();
    const files = type === 'application/zip'
      // Inflation bounded by what was sent, as for .npz: a small zip cannot make a large allocation.
      ? modelFromZip(bytes, limits.zipEntries, Math.min(limits.uploadBytes, npzInflateLimit(bytes.length)))
      : await modelFromMultipart(bytes, c.req.header('content-type')!, limits.zipEntries);
    const { id, created, summary } = await ingestModel(deps, files);
    const self = `/v1/models/${id}`;
    c.header('location', self);
    return c.json({ id, created, summary, links: { self } }, created ? 201 : 200);
  });

  app.openapi(get, async (c) => {
    const { id } = c.req.valid('param');
    const summary = await storedModelSummary(deps, id);
    return c.json({ id, created: false, summary, links: { self: `/v1/models/${id}` } }, 200);
  });

  return app;
}
