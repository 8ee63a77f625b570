/**
 * Writing the JSON report in pieces. A capture of 50,000 connections makes a report of hundreds of MB: one
 * JSON.stringify of it would hold the whole text (twice, as a string and as bytes) on top of the report.
 * Here each top-level value and each pair is stringified on its own and handed to `write` at once; the
 * result is byte for byte what JSON.stringify(report, null, 2) gives (JSON strings never hold a raw newline,
 * so re-indenting a piece is a plain replace).
 */
import type { Report } from './report-schema.js';

function indented(value: unknown, indent: string): string {
  return JSON.stringify(value, null, 2).replace(/\n/g, `\n${indent}`);
}

/** Writes `report` as indented JSON followed by a newline. */
export function writeReportJson(report: Report, write: (text: string) => void): void {
  const keys = Object.keys(report) as (keyof Report)[];
  write('{');
  keys.forEach((key, i) => {
    write(`\n  ${JSON.stringify(key)}: `);
    const value = report[key];
    if (key === 'pairs' && Array.isArray(value) && value.length > 0) {
      write('[');
      value.forEach((pair, j) => {
        write(`\n    ${indented(pair, '    ')}${j < value.length - 1 ? ',' : ''}`);
      });
      write('\n  ]');
    } else {
      write(indented(value, '  '));
    }
    if (i < keys.length - 1) write(',');
  });
  write('\n}\n');
}
