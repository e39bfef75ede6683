// The web front end: GET / (upload form), /audits/{id} (progress), /retrain (form), /retrain-jobs/{id} (live job),
// and its script and stylesheet under /ui/, and the icon browsers ask for at /favicon.ico.
import { Hono } from 'hono';
import type { Context } from 'hono';
import { APP_CSS, APP_JS } from '../ui/assets';
import { progressPage, uploadPage } from '../ui/pages';
import { retrainFormPage, retrainJobPage } from '../ui/retrain-pages';

// Only same-origin scripts, styles and fetches: the pages carry no inline code, so no 'unsafe-inline' is needed.
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
  + "form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

function send(c: Context, body: string, type: string) {
  c.header('content-security-policy', CSP);
  c.header('x-content-type-options', 'nosniff');
  c.header('referrer-policy', 'no-referrer');
  c.header('cache-control', 'no-cache');
  return c.body(body, 200, { 'content-type': `${type}; charset=utf-8` });
}

/** A shield, as SVG: browsers take an SVG icon from /favicon.ico when it says image/svg+xml. */
const FAVICON = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><path d="M16 2 4 7v8c0 7.5 5.1 13.4 12 15 6.9-1.6 12-7.5 12-15V7z" fill="#0072B2"/><path d="m10 16 4 4 8-9" stroke="#fff" stroke-width="3" fill="none"/></svg>';

export function uiApp(): Hono {
  const app = new Hono();
  const upload = uploadPage();
  const retrain = retrainFormPage();
  app.get('/', (c) => send(c, upload, 'text/html'));
  app.get('/audits/:id{[0-9a-f]{32}}', (c) => send(c, progressPage(c.req.param('id')), 'text/html'));
  app.get('/retrain', (c) => send(c, retrain, 'text/html'));
  app.get('/retrain-jobs/:id{[0-9a-f]{32}}', (c) => send(c, retrainJobPage(c.req.param('id')), 'text/html'));
  app.get('/favicon.ico', (c) => c.body(FAVICON, 200, { 'content-type': 'image/svg+xml', 'cache-control': 'public, max-age=86400', 'x-content-type-options': 'nosniff' }));
  app.get('/ui/app.js', (c) => send(c, APP_JS, 'text/javascript'));
  app.get('/ui/app.css', (c) => send(c, APP_CSS, 'text/css'));
  return app;
}
