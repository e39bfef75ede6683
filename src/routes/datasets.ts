// /v1/datasets: upload an .npz (x images, y labels) or a zip of class folders of images, content-addressed; 'mnist' is built in.
import { createRoute, z } from '@hono/zod-openapi';
import { mediaType } from './body';
import { subApp, type ResolvedDeps } from './deps';
import { datasetInfo, ingestDataset } from './ingest';
import { ProblemError } from './problem';
import { DataRef, DatasetInfoSchema, problems } from './schemas';

/** Both kinds are zips; the content decides (an .npz holds .npy entries), not the type. */
const NPZ_TYPES = ['application/octet-stream', 'application/x-npz', 'application/zip'];

const upload = createRoute({
  method: 'post',
  path: '/',
  summary: 'Upload an evaluation set: an .npz, or a zip of class folders of PNG/JPEG images',
  description: 'The body is either the .npz (numpy.savez) with `x` (uint8 0-255 or float32 in [0, 1]; [N, H, W, C], [N, H, W] or [N, D]) '
    + 'and `y` (integer labels [N]), or a zip of class folders of PNG/JPEG images (`cat/1.png`, `dog/2.jpg`; torchvision ImageFolder '
    + 'convention: classes sorted by name, label = index), told apart by content. Every image is decoded at upload; images are resized '
    + 'to the model\'s input when an audit starts (bilinear, half-pixel centers; see docs/api.md#image-data). The id is the SHA-256 of the body.',
  request: {
    body: {
      required: true,
      content: Object.fromEntries(NPZ_TYPES.map((t) => [t, { schema: { type: 'string', format: 'binary' } }])),
    },
  },
  responses: {
    200: { description: 'Already stored', content: { 'application/json': { schema: DatasetInfoSchema } } },
    201: { description: 'Stored', content: { 'application/json': { schema: DatasetInfoSchema } } },
    ...problems(400, 401, 403, 413, 415, 422, 429, 503),
  },
});

const get = createRoute({
  method: 'get',
  path: '/{id}',
  summary: 'A data set\'s shape and size (`mnist` or an uploaded id)',
  request: { params: z.object({ id: DataRef.openapi({ param: { name: 'id', in: 'path' } }) }) },
  responses: {
    200: { description: 'The data set', content: { 'application/json': { schema: DatasetInfoSchema } } },
    ...problems(400, 404, 429, 503),
  },
});

export function datasetsApp(deps: ResolvedDeps) {
  const app = subApp();

  app.openapi(upload, async (c) => {
    const type = mediaType(c.req.raw);
    if (!NPZ_TYPES.includes(type)) {
      throw new ProblemError(415, 'unsupported_media_type', `expected Content-Type ${NPZ_TYPES.join(' or ')}, got ${type || 'none'}`, 'header.content-type');
    }
    const bytes = await c.req.bytes();
    const { id, created, info } = await ingestDataset(deps.store, bytes);
    const self = `/v1/datasets/${id}`;
    c.header('location', self);
    return c.json({ id, created, ...info, bytes: bytes.byteLength, links: { self } }, created ? 201 : 200);
  });

  app.openapi(get, async (c) => {
    const { id } = c.req.valid('param');
    const info = await datasetInfo(deps.store, id);
    if (!info) throw new ProblemError(404, 'not_found', `expected a data set ${id}, got none`, 'path.id');
    return c.json({ id, ...info, links: { self: `/v1/datasets/${id}` } }, 200);
  });

  return app;
}
