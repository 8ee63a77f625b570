/**
 * The subset of YAML that policy files need, read without a dependency: nested block mappings by
 * indentation, block sequences ("- item"), flow sequences ("[a, b]"), plain, single- and double-quoted
 * scalars, numbers, true/false, null and "#" comments. Anything else (anchors, multi-line strings, flow
 * mappings, tabs for indentation) is an error with its line number rather than a guess.
 */

export class YamlError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`line ${line}: ${message}`);
    this.name = 'YamlError';
  }
}

export type YamlValue = string | number | boolean | null | YamlValue[] | { [key: string]: YamlValue };

interface Line {
  no: number;
  indent: number;
  text: string;
}

/** Strips a comment: a "#" at the start or after a space, outside quotes. */
function stripComment(s: string): string {
  let quote = '';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (quote) {
      if (ch === quote) quote = '';
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '#' && (i === 0 || s[i - 1] === ' ')) return s.slice(0, i);
  }
  return s;
}

function lex(text: string): Line[] {
  const out: Line[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const no = i + 1;
    if (/^\s*---\s*$/.test(raw) && out.length === 0) return;
    const body = stripComment(raw).trimEnd();
    if (body.trim() === '') return;
    const lead = /^[ \t]*/.exec(body)![0];
    if (lead.includes('\t')) throw new YamlError(no, 'tabs are not allowed for indentation');
    out.push({ no, indent: lead.length, text: body.slice(lead.length) });
  });
  return out;
}

function scalar(s: string, no: number): YamlValue {
  const t = s.trim();
  if (t === '' || t === '~' || t === 'null') return null;
  if (t === 'true') return true;
  if (t === 'false') return false;
  if (t.startsWith('"')) {
    if (!t.endsWith('"') || t.length < 2) throw new YamlError(no, `unterminated string ${t}`);
    try {
      return JSON.parse(t) as string;
    } catch {
      throw new YamlError(no, `bad double-quoted string ${t}`);
    }
  }
  if (t.startsWith("'")) {
    if (!t.endsWith("'") || t.length < 2) throw new YamlError(no, `unterminated string ${t}`);
    return t.slice(1, -1).replace(/''/g, "'");
  }
  if (t.startsWith('[')) return flowSequence(t, no);
  if (t.startsWith('{') || t.startsWith('&') || t.startsWith('*') || t.startsWith('|') || t.startsWith('>'))
    throw new YamlError(no, `unsupported YAML (${t[0]}): use block mappings and plain values`);
  if (/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(t)) return Number(t);
  return t;
}

function flowSequence(t: string, no: number): YamlValue[] {
  if (!t.endsWith(']')) throw new YamlError(no, `unterminated sequence ${t}`);
  const inner = t.slice(1, -1).trim();
  if (inner === '') return [];
  const items: string[] = [];
  let quote = '';
  let start = 0;
  for (let i = 0; i < inner.length; i++) {
    const ch = inner[i]!;
    if (quote) {
      if (ch === quote) quote = '';
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '[' || ch === '{') throw new YamlError(no, 'nested flow collections are not supported');
    else if (ch === ',') {
      items.push(inner.slice(start, i));
      start = i + 1;
    }
  }
  items.push(inner.slice(start));
  return items.map((x) => scalar(x, no));
}

/** Splits "key: value" (the colon must be followed by a space or end the line); null when not a key. */
function keyValue(text: string): [string, string] | null {
  const m = /^("[^"]*"|'[^']*'|[^:"'#][^:]*?)\s*:(\s+(.*))?$/.exec(text);
  if (m === null) return null;
  let key = m[1]!;
  if (key.startsWith('"') || key.startsWith("'")) key = key.slice(1, -1);
  return [key, m[3] ?? ''];
}

class Parser {
  private i = 0;
  constructor(private readonly lines: Line[]) {}

  parse(): YamlValue {
    if (this.lines.length === 0) return null;
    const v = this.block(this.lines[0]!.indent);
    const rest = this.lines[this.i];
    if (rest) throw new YamlError(rest.no, 'unexpected indentation');
    return v;
  }

  private block(indent: number): YamlValue {
    const first = this.lines[this.i]!;
    if (first.text === '-' || first.text.startsWith('- ')) return this.sequence(indent);
    if (keyValue(first.text)) return this.mapping(indent);
    this.i++;
    return scalar(first.text, first.no);
  }

  private nested(parentIndent: number, no: number): YamlValue {
    const next = this.lines[this.i];
    if (next === undefined || next.indent <= parentIndent) return null;
    const v = this.block(next.indent);
    if (v !== null && typeof v !== 'object') throw new YamlError(no, 'a value must be on the key line');
    return v;
  }

  private sequence(indent: number): YamlValue[] {
    const out: YamlValue[] = [];
    while (this.i < this.lines.length) {
      const l = this.lines[this.i]!;
      if (l.indent < indent) break;
      if (l.indent > indent) throw new YamlError(l.no, 'unexpected indentation');
      // A key at the sequence's indentation ends it: the parent mapping goes on (or reports the line).
      if (!(l.text === '-' || l.text.startsWith('- '))) break;
      this.i++;
      const rest = l.text.slice(1).trim();
      if (rest === '') out.push(this.nested(indent, l.no));
      else if (keyValue(rest) && !rest.startsWith('"') && !rest.startsWith("'"))
        throw new YamlError(l.no, 'mappings inside sequences are not supported');
      else out.push(scalar(rest, l.no));
    }
    return out;
  }

  private mapping(indent: number): { [key: string]: YamlValue } {
    const out: { [key: string]: YamlValue } = {};
    while (this.i < this.lines.length) {
      const l = this.lines[this.i]!;
      if (l.indent < indent) break;
      if (l.indent > indent) throw new YamlError(l.no, 'unexpected indentation');
      const kv = keyValue(l.text);
      if (kv === null) throw new YamlError(l.no, `expected "key: value", got "${l.text}"`);
      const [key, value] = kv;
      if (Object.hasOwn(out, key)) throw new YamlError(l.no, `duplicate key "${key}"`);
      this.i++;
      if (value.trim() === '') {
        // A block sequence may sit at the same indentation as its key.
        const next = this.lines[this.i];
        if (next && next.indent === indent && (next.text === '-' || next.text.startsWith('- ')))
          out[key] = this.sequence(indent);
        else out[key] = this.nested(indent, l.no);
      } else {
        out[key] = scalar(value, l.no);
      }
    }
    return out;
  }
}

/** Parses the supported subset; throws YamlError with the line number on anything else. */
export function parseYaml(text: string): YamlValue {
  return new Parser(lex(text)).parse();
}
