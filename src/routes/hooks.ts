// /v1/hooks: Hugging Face and MLflow registry webhooks. A verified event for a new model version fetches the
// model (fetcher.ts rules), stores it and starts an audit with the default settings on MNIST.
import { createRoute } from '@hono/zod-openapi';
import { sha256Hex } from '../attest/encoding';
import { verifyHuggingFaceSecret, verifyMlflowSignature } from '../attest/webhooks';
import { keys, newId } from '../storage/keys';
import { StorageError, type Store } from '../storage/store';
import { auditLinks, subApp, type ResolvedDeps } from './deps';
import { fetchModel } from './fetcher';
import { ingestModel } from './ingest';
import { ProblemError } from './problem';
import { HookResultSchema, problems } from './schemas';
import { callerOf } from './security';
import { startAudit } from './start';

/**
 * Replay protection in the store, so that it survives restarts and spans instances: one write-once object per
 * delivery (keys.hookDelivery). Each claim writes bytes of its own (a random nonce), so of two racing claims only
 * one can find its bytes stored: the other gets a conflict, on servers with conditional writes (S3, R2) and on
 * s3rver alike (putIfAbsent reads back what it wrote).
 */
export class StoreReplayGuard {
  constructor(private readonly store: Store) {}

  private async key(claim: string): Promise<string> {
    return keys.hookDelivery(await sha256Hex(new TextEncoder().encode(claim)));
  }

  /** true when this call is the first to claim `claim`. */
  async claim(claim: string, now: number): Promise<boolean> {
    const bytes = new TextEncoder().encode(JSON.stringify({ claim, at: new Date(now).toISOString(), nonce: newId() }));
    try {
      return (await this.store.putIfAbsent(await this.key(claim), bytes, { contentType: 'application/json' })).written;
    } catch (e) {
      if (e instanceof StorageError && e.code === 'conflict') return false;
      throw e;
    }
  }

  /** Forgets a claim whose processing failed, so that the sender's retry can succeed. */
  async release(claim: string): Promise<void> {
    await this.store.delete(await this.key(claim));
  }
}

const hookRoute = (path: string, summary: string, description: string) => createRoute({
  method: 'post', path, summary, description,
  request: { body: { required: true, content: { 'application/json': { schema: { type: 'object' } } } } },
  responses: {
    200: { description: 'Verified, but not a new model version: nothing done', content: { 'application/json': { schema: HookResultSchema } } },
    202: { description: 'Model fetched and stored, audit queued', content: { 'application/json': { schema: HookResultSchema } } },
    ...problems(400, 401, 404, 409, 413, 422, 429, 503),
  },
});

const hf = hookRoute('/huggingface', 'Hugging Face Hub webhook',
  'Authenticated by X-Webhook-Secret (constant-time). A repo.content update of a model repo fetches <repo>/resolve/<headSha>/<HF_MODEL_PATH> (unset: model.json, else model.onnx) and its weight or external data files.');
const mlflow = hookRoute('/mlflow', 'MLflow model registry webhook',
  'Authenticated by X-MLflow-Signature (v1,<base64 HMAC-SHA256 of delivery_id.timestamp.body>) within WEBHOOK_TOLERANCE_SECONDS; delivery ids are remembered in the store against replays (across restarts and instances). ' +
  'model_version.created fetches the https model.json URL in the version tag qaudit.model_url (or its source when that is an https URL).');

function parse(raw: Uint8Array): Record<string, unknown> {
  try {
    const v = JSON.parse(new TextDecoder().decode(raw));
    if (v && typeof v === 'object') return v as Record<string, unknown>;
  } catch { /* answered below */ }
  throw new ProblemError(400, 'invalid_json', 'expected a JSON object body, got something else', 'body');
}

const unauthorized = (why: string) => new ProblemError(401, 'bad_signature', why, 'header');
const notConfigured = (name: string) => new ProblemError(404, 'not_configured', `expected ${name} to be set for this webhook, got none`);

type Get = (o: unknown, ...path: string[]) => unknown;
const get: Get = (o, ...path) => path.reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), o);

/**
 * A pull-request comment body for the model repository: the webhook answers before the audit has run, so it links
 * the report and the model card block (model-index YAML, served once the audit succeeded) instead of numbers.
 */
function prComment(origin: string, links: ReturnType<typeof auditLinks>, model: string, name?: string): string {
  const card = `${origin}${links.modelCard}${name ? `?name=${encodeURIComponent(name)}` : ''}`;
  return [
    `**qaudit** is auditing this revision (model \`sha256:${model.slice(0, 16)}…\`, default settings on MNIST).`,
    '',
    `- Report: ${origin}${links.reportHtml} (JSON: ${origin}${links.report}, SARIF: ${origin}${links.sarif})`,
    `- Model card \`model-index\` block with the headline numbers, to paste into README.md: ${card}`,
    `- Signed attestation: ${origin}${links.attestation}`,
  ].join('\n');
}

export function hooksApp(deps: ResolvedDeps) {
  const app = subApp();
  const replays = new StoreReplayGuard(deps.store);
  const { webhooks } = deps.config;

  /** Fetch, store, audit; the claim is released on failure so that a retried delivery can succeed. */
  async function run(url: string | string[], claim: string, client: string, origin: string, name?: string) {
    try {
      const files = await fetchModel(url, deps.fetcher, deps.config.fetch, deps.resolve);
      const model = await ingestModel(deps, files);
      // Webhook audits are one tenant per provider in the fair scheduler, and count against the sender's address.
      const record = await startAudit(deps, { model: model.id, data: 'mnist' }, { tenant: `hook:${claim.split(':')[0]}`, client });
      const links = auditLinks(record.id);
      return { accepted: true, model: model.id, audit: record.id, links, comment: prComment(origin, links, model.id, name) };
    } catch (e) {
      await replays.release(claim).catch(() => undefined);
      throw e;
    }
  }

  app.openapi(hf, async (c) => {
    if (!webhooks.huggingfaceSecret) throw notConfigured('HF_WEBHOOK_SECRET');
    if (!(await verifyHuggingFaceSecret(c.req.header('x-webhook-secret'), webhooks.huggingfaceSecret))) {
      throw unauthorized('expected X-Webhook-Secret to match the configured secret, got a different or no value');
    }
    const body = parse(await c.req.bytes());
    const repo = String(get(body, 'repo', 'name') ?? ''), sha = String(get(body, 'repo', 'headSha') ?? '');
    const isModelUpdate = get(body, 'repo', 'type') === 'model' && String(get(body, 'event', 'scope') ?? '').startsWith('repo.content') &&
      ['create', 'update'].includes(String(get(body, 'event', 'action')));
    if (!isModelUpdate) return c.json({ accepted: false, reason: 'not a new version of a model repository' }, 200);
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,95}\/[A-Za-z0-9][A-Za-z0-9_.-]{0,95}$/.test(repo) || repo.includes('..') || !/^[0-9a-f]{40}$/.test(sha)) {
      throw new ProblemError(422, 'invalid_event', 'expected repo.name "owner/name" and repo.headSha (40 hex chars), got others', 'body.repo');
    }
    const claim = `hf:${repo}@${sha}`;
    if (!(await replays.claim(claim, deps.now()))) {
      return c.json({ accepted: false, reason: 'this revision was already received' }, 200);
    }
    // Unless HF_MODEL_PATH names one file: model.json, else (a 404) model.onnx.
    const urls = webhooks.huggingfaceModelPaths.map((p) => `https://huggingface.co/${repo}/resolve/${sha}/${p}`);
    return c.json(await run(urls, claim, callerOf(c).client, new URL(c.req.url).origin, repo), 202);
  });

  app.openapi(mlflow, async (c) => {
    if (!webhooks.mlflowSecret) throw notConfigured('MLFLOW_WEBHOOK_SECRET');
    const raw = await c.req.bytes();
    const check = await verifyMlflowSignature({
      deliveryId: c.req.header('x-mlflow-delivery-id'), timestamp: c.req.header('x-mlflow-timestamp'), payload: raw,
      signatureHeader: c.req.header('x-mlflow-signature'), secret: webhooks.mlflowSecret, now: deps.now(), toleranceSeconds: webhooks.toleranceSeconds,
    });
    if (!check.ok) throw unauthorized(check.reason);
    const claim = `mlflow:${check.deliveryId}`;
    if (!(await replays.claim(claim, deps.now()))) {
      throw new ProblemError(409, 'replayed', 'expected a new delivery id, got one already received', 'header.x-mlflow-delivery-id');
    }
    const body = parse(raw);
    if (body.entity !== 'model_version' || body.action !== 'created') {
      return c.json({ accepted: false, reason: 'not a model_version.created event' }, 200);
    }
    const tag = get(body, 'data', 'tags', 'qaudit.model_url'), source = get(body, 'data', 'source');
    const url = typeof tag === 'string' ? tag : typeof source === 'string' && source.startsWith('https://') ? source : null;
    if (!url) return c.json({ accepted: false, reason: 'no https model URL (set the version tag qaudit.model_url)' }, 200);
    return c.json(await run(url, claim, callerOf(c).client, new URL(c.req.url).origin), 202);
  });

  return app;
}
