/**
 * The HTML report's only script, inlined as one <script> block whose hash the Content-Security-Policy
 * allows: sorting and filtering of the pairs table. Plain ES2017 for any browser; handlers are attached with
 * addEventListener because the policy refuses inline handlers. It reads the table the page already holds
 * (capped in rows by the renderer), so it never has more than a few thousand rows to touch.
 *
 * Filter: every whitespace-separated term must occur in the row's text (case-insensitive); rows that fail are
 * hidden with the `hidden` attribute. Sort: a click on a header sorts by that column, numerically on each
 * cell's data-v when the header says data-sort="num" (rows without a value last), else by text.
 */
export const REPORT_SCRIPT = `(function () {
  'use strict';
  var table = document.getElementById('pairs-table');
  if (!table) return;
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var texts = rows.map(function (r) { return r.textContent.toLowerCase(); });
  var input = document.getElementById('pairs-filter');
  var count = document.getElementById('pairs-count');
  function applyFilter() {
    var terms = (input.value || '').toLowerCase().split(/\\s+/).filter(Boolean);
    var shown = 0;
    for (var i = 0; i < rows.length; i++) {
      var ok = true;
      for (var j = 0; j < terms.length && ok; j++) ok = texts[i].indexOf(terms[j]) !== -1;
      rows[i].hidden = !ok;
      if (ok) shown++;
    }
    if (count) count.textContent = shown === rows.length ? rows.length + ' rows' : shown + ' of ' + rows.length + ' rows';
  }
  if (input) input.addEventListener('input', applyFilter);
  var heads = table.tHead.rows[0].cells;
  function sortBy(col, numeric, dir) {
    var keyed = rows.map(function (r, i) {
      var cell = r.cells[col];
      var v = numeric ? cell.getAttribute('data-v') : cell.textContent;
      return { r: r, t: texts[i], i: i, v: numeric ? (v === null || v === '' ? null : Number(v)) : v };
    });
    keyed.sort(function (a, b) {
      if (numeric) {
        if (a.v === null || b.v === null) return a.v === b.v ? a.i - b.i : a.v === null ? 1 : -1;
        return (a.v - b.v) * dir || a.i - b.i;
      }
      return a.v.localeCompare(b.v, undefined, { numeric: true }) * dir || a.i - b.i;
    });
    var frag = document.createDocumentFragment();
    rows = keyed.map(function (k) { frag.appendChild(k.r); return k.r; });
    texts = keyed.map(function (k) { return k.t; });
    body.appendChild(frag);
  }
  Array.prototype.forEach.call(heads, function (th, col) {
    var kind = th.getAttribute('data-sort');
    if (!kind) return;
    th.tabIndex = 0;
    function activate() {
      var dir = th.getAttribute('aria-sort') === 'ascending' ? -1 : 1;
      Array.prototype.forEach.call(heads, function (h) { h.removeAttribute('aria-sort'); });
      th.setAttribute('aria-sort', dir === 1 ? 'ascending' : 'descending');
      sortBy(col, kind === 'num', dir);
    }
    th.addEventListener('click', activate);
    th.addEventListener('keydown', function (e) { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); activate(); } });
  });
  applyFilter();
})();
`;
