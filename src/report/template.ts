// hono's `html` tagged template for the report pages: every interpolated value is escaped, fragments it made are not.
import { html as honoHtml } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';

/** Markup built by `html`: interpolated into another template as is, never escaped twice. */
export type Html = HtmlEscapedString;

/**
 * hono's `html`, synchronous. It returns a promise only when a value is one, and report templates interpolate
 * strings, numbers, fragments and arrays of them (joined with nothing). Like JSX it drops booleans, null and
 * undefined: pass String(v) where such a value must show.
 */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  const out = honoHtml(strings, ...values);
  if (out instanceof Promise) throw new TypeError('expected a synchronous HTML template, got a promise among its values');
  return out;
}

/** Fragments one per line. */
export const lines = (parts: Html[]): Html => html`${parts.flatMap((p, i) => (i ? ['\n', p] : [p]))}`;
