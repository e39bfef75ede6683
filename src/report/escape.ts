// HTML escaping for text and attribute values: every value from a report passes through here.
export const escapeHtml = (v: unknown): string =>
  String(v).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

export { pct } from '../engine/format';
