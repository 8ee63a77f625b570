import { describe, expect, test } from '@jest/globals';
import { escapeHtml, html, joinHtml, SafeHtml, trusted } from './html-escape.js';

describe('escapeHtml', () => {
  test('replaces the five characters that matter in text and quoted attributes', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe(
      '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;',
    );
  });

  test('returns plain text unchanged (the fast path)', () => {
    const s = '10.99.1.2:61001 to 10.99.1.10:80, tcp.handshake.synack_bad_ack';
    expect(escapeHtml(s)).toBe(s);
    expect(escapeHtml('')).toBe('');
  });

  test('escapes every occurrence, not just the first', () => {
    expect(escapeHtml('<<>>')).toBe('&lt;&lt;&gt;&gt;');
  });
});

describe('html template', () => {
  test('escapes interpolated strings and leaves the literal markup alone', () => {
    const payload = '<script>window.__pwned=1</script>';
    expect(html`<td title="${payload}">${payload}</td>`.text).toBe(
      '<td title="&lt;script&gt;window.__pwned=1&lt;/script&gt;">&lt;script&gt;window.__pwned=1&lt;/script&gt;</td>',
    );
  });

  test('an attribute breakout cannot leave its quotes', () => {
    const hostile = '"><img src=x onerror="window.__pwned=1">';
    const out = html`<span title="${hostile}">x</span>`.text;
    expect(out).toBe(
      '<span title="&quot;&gt;&lt;img src=x onerror=&quot;window.__pwned=1&quot;&gt;">x</span>',
    );
    expect(out).not.toContain('<img');
  });

  test('nested templates and lists are inserted as markup, strings inside them still escaped', () => {
    const items = ['a<b', 'c&d'].map((s) => html`<li>${s}</li>`);
    expect(html`<ul>${items}</ul>`.text).toBe('<ul><li>a&lt;b</li><li>c&amp;d</li></ul>');
  });

  test('numbers render as text; null, undefined and booleans render as nothing', () => {
    expect(html`${1}|${null}|${undefined}|${false}|${true}|${-2.5}`.text).toBe('1|||||-2.5');
  });

  test('trusted markup and SafeHtml pass through unchanged', () => {
    expect(html`${trusted('<b>x</b>')}`.text).toBe('<b>x</b>');
    expect(html`${new SafeHtml('<i>y</i>')}`.text).toBe('<i>y</i>');
  });

  test('joinHtml escapes strings among the items and keeps the separator', () => {
    expect(joinHtml(['<a>', html`<b>`, 3], '<br>').text).toBe('&lt;a&gt;<br><b><br>3');
  });
});
