// createApp(deps): the HTTP API as one Hono app, one sub-app per resource, one error handler; Node and Workers share it.
import { OpenAPIHono } from '@hono/zod-openapi';
import { auditsApp } from './routes/audits';
import { boundedBody } from './routes/body';
import { datasetsApp } from './routes/datasets';
import type { AppDeps, ResolvedDeps } from './routes/deps';
import { hooksApp } from './routes/hooks';
import { metaApp } from './routes/meta';
import { modelsApp } from './routes/models';
import { openApiDocument, toYaml } from './routes/openapi';
import { onError, problemResponse, ProblemError, validationHook } from './routes/problem';
import { reportsApp } from './routes/reports';
import { retrainApp } from './routes/retrain';
import { retrainOutputApp } from './routes/retrain-output';
import { security } from './routes/security';
import { uiApp } from './routes/ui';

export type { AppDeps } from './routes/deps';

const UPLOADS = new Set(['/v1/models', '/v1/datasets']);

export function createApp(deps: AppDeps): OpenAPIHono {
  const d: ResolvedDeps = {
    clientAddress: () => undefined,
    fetcher: (url, init) => fetch(url, init),
    now: () => Date.now(),
    ...deps,
  };
  const app = new OpenAPIHono({ defaultHook: validationHook, strict: false });
  app.onError(onError);
  app.notFound((c) => problemResponse(c, new ProblemError(404, 'not_found', `expected a known route, got ${c.req.method} ${c.req.path}`)));

  // Authentication and rate limits first, so an unauthenticated client cannot make us read a large body.
  app.use('/v1/*', security({
    config: d.config, clientAddress: d.clientAddress, now: d.now, selfAuthenticated: (p) => p.startsWith('/v1/hooks/'),
    // Anyone holding an id may read that job; only key holders may list ids (reports are not enumerable).
    privateRead: (p) => /^\/v1\/(audits|retrain-jobs)\/?$/.test(p),
  }));
  app.use('*', boundedBody((path) => (UPLOADS.has(path.replace(/\/$/, '')) ? d.config.limits.uploadBytes : d.config.limits.jsonBytes)));

  app.route('/', metaApp(d));
  app.route('/v1/models', modelsApp(d));
  app.route('/v1/datasets', datasetsApp(d));
  app.route('/v1/audits', auditsApp(d));
  app.route('/v1/audits', reportsApp(d));
  app.route('/v1/retrain-jobs', retrainApp(d));
  app.route('/v1/retrain-jobs', retrainOutputApp(d));
  app.route('/v1/hooks', hooksApp(d));
  app.route('/', uiApp());

  let doc: Record<string, unknown> | undefined;
  const document = () => (doc ??= openApiDocument(app));
  app.get('/openapi.json', (c) => c.json(document()));
  app.get('/openapi.yaml', (c) => c.body(toYaml(document()), 200, { 'content-type': 'application/yaml; charset=utf-8' }));
  return app;
}
