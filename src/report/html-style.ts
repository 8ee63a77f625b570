/**
 * The HTML report's stylesheet, inlined as one <style> block whose hash the Content-Security-Policy allows.
 * The page has no style attributes (the policy would refuse them): every look is a class here, and SVG uses
 * presentation attributes or these classes. System fonts only: the page loads nothing.
 */
export const REPORT_CSS = `
:root {
  --fg: #1f2933; --muted: #616e7c; --faint: #9aa5b1; --line: #d9dee4; --bg: #f5f7fa; --card: #ffffff;
  --c2s: #1d4ed8; --s2c: #0f766e; --bad: #c81e1e; --warn: #b45309; --inj: #7c3aed; --ok: #15803d;
  --mono: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace;
}
* { box-sizing: border-box; }
html { background: var(--bg); }
body {
  margin: 0; color: var(--fg); font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue",
  Arial, sans-serif;
}
header.top {
  background: #102a43; color: #f0f4f8; padding: 14px 28px; display: flex; align-items: baseline; gap: 18px;
  flex-wrap: wrap;
}
header.top h1 { margin: 0; font-size: 18px; font-weight: 600; letter-spacing: .2px; }
header.top .files { font-family: var(--mono); font-size: 12px; color: #bcccdc; overflow-wrap: anywhere; }
header.top .tool { margin-left: auto; font-size: 12px; color: #9fb3c8; }
main { max-width: 1240px; margin: 0 auto; padding: 18px 28px 40px; }
section.card {
  background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 16px 20px;
  margin: 0 0 16px;
}
h2 { font-size: 15px; margin: 0 0 10px; font-weight: 650; }
h3 { font-size: 14px; margin: 14px 0 6px; font-weight: 600; }
p { margin: 6px 0; }
.muted { color: var(--muted); }
.nowrap { white-space: nowrap; }
.small { font-size: 12px; }
.mono { font-family: var(--mono); font-size: 12.5px; }
.grid3 { display: grid; grid-template-columns: repeat(3, minmax(0, 1fr)); gap: 16px; margin-bottom: 16px; }
.grid3 > section.card { margin: 0; }
@media (max-width: 980px) { .grid3 { grid-template-columns: 1fr; } }
.verdict { border-left: 5px solid var(--c2s); }
.verdict.has-errors { border-left-color: var(--bad); }
.kind {
  display: inline-block; font-weight: 650; font-size: 13px; padding: 2px 10px; border-radius: 12px;
  background: #e0e8f9; color: #1e3a8a; margin-right: 8px;
}
.summary { font-size: 15px; line-height: 1.6; margin: 10px 0 6px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: 12px; color: var(--muted); font-weight: 600; background: #fafbfc; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.conf { display: inline-block; width: 60px; height: 6px; background: #e4e7eb; border-radius: 3px;
  vertical-align: middle; margin-right: 6px; overflow: hidden; }
.conf > span { display: block; height: 100%; background: var(--ok); }
.conf > span.w0 { width: 0; } .conf > span.w1 { width: 10%; } .conf > span.w2 { width: 20%; }
.conf > span.w3 { width: 30%; } .conf > span.w4 { width: 40%; } .conf > span.w5 { width: 50%; }
.conf > span.w6 { width: 60%; } .conf > span.w7 { width: 70%; } .conf > span.w8 { width: 80%; }
.conf > span.w9 { width: 90%; } .conf > span.w10 { width: 100%; }
.sev { display: inline-block; font-size: 11px; font-weight: 700; text-transform: uppercase; padding: 1px 7px;
  border-radius: 10px; margin-right: 6px; letter-spacing: .3px; }
.sev.error { background: #fde2e2; color: var(--bad); }
.sev.warning { background: #fdf0d5; color: var(--warn); }
.sev.note { background: #e4e7eb; color: var(--muted); }
ul.problems { list-style: none; padding: 0; margin: 0; }
ul.problems > li { padding: 8px 0; border-bottom: 1px solid var(--line); }
ul.problems > li:last-child { border-bottom: 0; }
.problem-id { font-family: var(--mono); font-size: 12.5px; font-weight: 600; }
.packets { font-family: var(--mono); font-size: 12px; color: var(--muted); }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; margin: 0 0 8px; }
dl.facts dt { color: var(--muted); font-size: 12.5px; }
dl.facts dd { margin: 0; font-variant-numeric: tabular-nums; }
svg { display: block; }
svg text { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; }
svg .axis { stroke: #9aa5b1; stroke-width: 1; fill: none; }
svg .grid { stroke: #eef1f4; stroke-width: 1; }
svg .tick { font-size: 10px; fill: var(--muted); }
svg .legend { font-size: 11px; fill: var(--fg); }
.plot { width: 100%; height: auto; }
.callout { border-radius: 6px; padding: 8px 12px; margin: 8px 0; font-weight: 600; }
.callout.bad { background: #fde8e8; color: #9b1c1c; border: 1px solid #f8b4b4; }
.callout.warn { background: #fdf6e3; color: #8a4b08; border: 1px solid #f5d08a; }
.ladder { border-top: 1px solid var(--line); padding-top: 12px; margin-top: 14px; }
.ladder:first-of-type { border-top: 0; margin-top: 14px; padding-top: 0; }
.ladder h3 { margin-top: 0; }
.ladder .svgwrap { overflow-x: auto; }
.ladder svg .lane { stroke: #52606d; stroke-width: 1.5; }
.ladder svg .lane.device { stroke: #9aa5b1; stroke-dasharray: 5 4; }
.ladder svg .lanehead { font-size: 12px; font-weight: 600; fill: var(--fg); }
.ladder svg .lanesub { font-size: 10.5px; fill: var(--muted); font-family: var(--mono); }
.ladder svg .time { font-size: 10.5px; fill: var(--muted); font-family: var(--mono); }
.ladder svg .pno { font-size: 10.5px; fill: var(--faint); font-family: var(--mono); }
.ladder svg .lbl { font-size: 11px; font-family: var(--mono); fill: var(--fg); }
.ladder svg .lbl, .ladder svg .dt, .ladder svg .mark {
  paint-order: stroke; stroke: #fff; stroke-width: 3px; stroke-linejoin: round;
}
.ladder svg .dt { font-size: 10px; font-family: var(--mono); fill: var(--muted); }
.ladder svg .mark { font-size: 10.5px; font-weight: 700; }
.ladder svg .preview { font-family: var(--mono); font-weight: 400; fill: #52606d; }
.ladder svg .gap { font-size: 10px; fill: var(--muted); font-style: italic; }
.ladder svg .gapline { stroke: #cbd2d9; stroke-dasharray: 2 3; }
.ladder svg .missing { fill: #c81e1e; font-size: 13px; font-weight: 700; }
.ladder svg .missing-sub { fill: #9b1c1c; font-size: 11px; }
.ladder svg g.pkt:hover .lbl { font-weight: 700; }
.ladder svg g.pkt:hover line, .ladder svg g.pkt:hover path { stroke-width: 2.6; }
.ladder svg .hit { fill: transparent; }
.bars td, .bars th { padding: 3px 8px; }
.bars th { white-space: nowrap; }
.bars tr.barrow td { padding: 0 8px 8px; border-bottom: 1px solid var(--line); }
.bars tr:not(.barrow) td, .bars tbody tr:not(.barrow) th { border-bottom: 0; }
.bars td.dropped { color: var(--bad); font-weight: 700; }
.bars td.injected { color: var(--inj); font-weight: 700; }
.toolbar { display: flex; gap: 12px; align-items: center; margin: 0 0 8px; flex-wrap: wrap; }
.toolbar input[type=search] { font: inherit; padding: 5px 9px; border: 1px solid #bcccdc; border-radius: 5px;
  width: 320px; }
#pairs-table th[data-sort] { cursor: pointer; user-select: none; white-space: nowrap; }
#pairs-table th[aria-sort=ascending]::after { content: " \\25B2"; font-size: 9px; }
#pairs-table th[aria-sort=descending]::after { content: " \\25BC"; font-size: 9px; }
#pairs-table td { font-size: 12.5px; }
#pairs-table th, #pairs-table td { padding: 5px 6px; }
#pairs-table td.tuple { font-size: 11.5px; }
#pairs-table td:last-child { min-width: 150px; }
td.tuple { font-family: var(--mono); font-size: 12px; white-space: nowrap; }
#pairs-table td.word { white-space: nowrap; }
.tablewrap { overflow-x: auto; }
#pairs-table tr.has-error td:first-child { box-shadow: inset 3px 0 0 var(--bad); }
#pairs-table tr.has-warning td:first-child { box-shadow: inset 3px 0 0 var(--warn); }
.tag { display: inline-block; font-size: 11px; padding: 0 6px; border-radius: 8px; background: #eef1f4;
  margin: 1px 2px 1px 0; font-family: var(--mono); overflow-wrap: anywhere; }
.tag.error { background: #fde2e2; color: var(--bad); }
.tag.warning { background: #fdf0d5; color: var(--warn); }
a { color: #1d4ed8; text-decoration: none; }
a:hover { text-decoration: underline; }
.note { font-size: 12.5px; color: var(--muted); margin: 8px 0 0; }
footer { color: var(--muted); font-size: 12px; text-align: center; padding: 10px 0 30px; }
details > summary { cursor: pointer; color: var(--muted); font-size: 13px; margin: 6px 0; }
`;
