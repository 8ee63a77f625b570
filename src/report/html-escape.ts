/**
 * HTML escaping for the HTML report. Everything a capture can carry (file names, payload bytes, pcapng
 * comments, finding texts quoting them) reaches the page only through `html`, a tagged template that escapes
 * every interpolated value unless it is already `SafeHtml`, i.e. markup this module built. There is no other
 * way to put text into the page, so a capture cannot inject markup by construction.
 *
 * Escaping covers the five characters that matter in text and in double- or single-quoted attribute values
 * (& < > " '). Most values (numbers, addresses, ids) contain none of them: the fast path returns the string
 * itself, which keeps a 100k-row render cheap.
 */

/** Markup that is already safe to place in the page: built by `html`, `trusted` or `joinHtml`. */
export class SafeHtml {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

const SPECIAL = /[&<>"']/;
const SPECIAL_ALL = /[&<>"']/g;
const ENTITY: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text or attribute value with & < > " ' replaced by entities. */
export function escapeHtml(text: string): string {
  if (!SPECIAL.test(text)) return text;
  return text.replace(SPECIAL_ALL, (c) => ENTITY[c]!);
}

/** A value the template may interpolate: text (escaped), numbers, safe markup, lists of those, or nothing. */
export type HtmlValue = SafeHtml | string | number | boolean | null | undefined | readonly HtmlValue[];

function append(v: HtmlValue): string {
  if (v instanceof SafeHtml) return v.text;
  if (typeof v === 'string') return escapeHtml(v);
  if (typeof v === 'number') return String(v);
  if (v === null || v === undefined || v === false || v === true) return '';
  let out = '';
  for (const x of v) out += append(x);
  return out;
}

/**
 * The template: literal parts are trusted markup written in this code base, interpolated values are escaped.
 * null, undefined and booleans render as nothing, so `${cond && html`...`}` works.
 */
export function html(parts: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = parts[0]!;
  for (let i = 0; i < values.length; i++) out += append(values[i]!) + parts[i + 1]!;
  return new SafeHtml(out);
}

/** Markup from this code base that is not written as a template (inline CSS and script blocks). */
export function trusted(markup: string): SafeHtml {
  return new SafeHtml(markup);
}

/** Items joined into one piece of markup; strings among them are escaped. */
export function joinHtml(items: readonly HtmlValue[], separator = ''): SafeHtml {
  let out = '';
  for (let i = 0; i < items.length; i++) {
    if (i > 0) out += separator;
    out += append(items[i]!);
  }
  return new SafeHtml(out);
}
