// DOM-free HTML checks for the report tests: a strict tag-balance check and a small element finder.
const VOID = new Set(['meta', 'br', 'hr', 'img', 'input', 'link', 'col', 'wbr']);
const TAG = /<(\/?)([a-zA-Z][\w-]*)((?:\s+[\w:-]+(?:="[^"<>]*")?)*)\s*(\/?)>/y;

/** Throws unless every tag is well-formed and closed in order, attribute values are quoted, and text has no raw `<` or bare `&`. */
export function checkWellFormed(html: string): void {
  const src = html.replace(/^<!doctype html>\s*/i, '').replace(/<style>[^<]*<\/style>/g, '<style></style>');
  const stack: string[] = [];
  let i = 0;
  while (i < src.length) {
    const lt = src.indexOf('<', i);
    const text = src.slice(i, lt < 0 ? src.length : lt);
    const amp = text.match(/&(?!(?:#\d+|[a-z]+);)/);
    if (amp) throw new Error(`bare & in text near ${JSON.stringify(text.slice(0, 60))}`);
    if (lt < 0) break;
    TAG.lastIndex = lt;
    const m = TAG.exec(src);
    if (!m) throw new Error(`malformed tag at ${lt}: ${JSON.stringify(src.slice(lt, lt + 60))}`);
    const [, close, name, , selfClose] = m;
    const tag = name!.toLowerCase();
    if (close) {
      const open = stack.pop();
      if (open !== tag) throw new Error(`</${tag}> closes <${open}> at ${lt}`);
    } else if (!selfClose && !VOID.has(tag)) stack.push(tag);
    i = TAG.lastIndex;
  }
  if (stack.length) throw new Error(`unclosed: ${stack.join(' > ')}`);
}

export interface Element { attrs: Record<string, string>; inner: string }

/** Every `<tag>` element (outermost and nested) with its attributes (still escaped) and inner HTML. */
export function elements(html: string, tag: string): Element[] {
  const out: Element[] = [];
  const open = new RegExp(`<${tag}((?:\\s[^>]*)?)>`, 'g');
  const any = new RegExp(`<(/?)${tag}(?:\\s[^>]*)?>`, 'g');
  for (const m of html.matchAll(open)) {
    const attrs = Object.fromEntries([...m[1]!.matchAll(/([\w:-]+)="([^"]*)"/g)].map((a) => [a[1]!, a[2]!]));
    if (m[0].endsWith('/>')) { out.push({ attrs, inner: '' }); continue; }
    any.lastIndex = m.index! + m[0].length;
    let depth = 1, end = -1;
    for (let t = any.exec(html); t; t = any.exec(html)) {
      depth += t[1] ? -1 : t[0].endsWith('/>') ? 0 : 1;
      if (depth === 0) { end = t.index; break; }
    }
    if (end < 0) throw new Error(`<${tag}> at ${m.index} is not closed`);
    out.push({ attrs, inner: html.slice(m.index! + m[0].length, end) });
  }
  return out;
}

/** The inner HTML of `<section id=ID>`. */
export function sectionOf(html: string, id: string): string {
  const s = elements(html, 'section').find((x) => x.attrs.id === id);
  if (!s) throw new Error(`no section ${id}`);
  return s.inner;
}

/** Undoes the page's escaping of a text or attribute value. */
export const decode = (s: string) =>
  s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');
