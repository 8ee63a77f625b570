/**
 * Times as the sessions listing reads them from the user and prints them. Input: ISO 8601 (with or without
 * a zone), "yyyy-MM-dd HH:mm:ss[.fraction]" in the listing's zone, or epoch seconds; the fraction keeps up
 * to nine digits exactly (date-fns reads milliseconds only, so the fraction is taken apart first). Output:
 * local time through date-fns, or UTC. Capture times are exact (sec + nsec); so are parsed times.
 */
import { format as formatDate, isValid, parse, parseISO } from 'date-fns';
import { isoUtc, type Timestamp } from '../common/time.js';

export type Zone = 'local' | 'utc';

const EPOCH = /^(\d{1,15})(?:\.(\d{1,9}))?$/;
const LOCAL = /^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?$/;
/** An ISO 8601 time of day with seconds and a fraction: the fraction is cut out and kept exactly. */
const ISO_FRACTION = /^(.*T\d{2}:?\d{2}:?\d{2})[.,](\d+)(Z|[+-]\d{2}(?::?\d{2})?)?$/;
const ISO_ZONE = /(Z|[+-]\d{2}(?::?\d{2})?)$/;

function fractionNs(digits: string | undefined): number {
  return digits ? Number(digits.padEnd(9, '0')) : 0;
}

function fromMs(ms: number, fraction: string | undefined): Timestamp | null {
  if (!Number.isFinite(ms)) return null;
  return { sec: Math.floor(ms / 1000), nsec: fractionNs(fraction) };
}

/**
 * A time typed by the user, or null when it cannot be read. All digits (with an optional fraction) are epoch
 * seconds, even when they could also be an ISO 8601 basic date. Times without a zone are in `zone`.
 */
export function parseUserTime(text: string, zone: Zone): Timestamp | null {
  const t = text.trim();
  const epoch = EPOCH.exec(t);
  if (epoch) return { sec: Number(epoch[1]), nsec: fractionNs(epoch[2]) };
  const local = LOCAL.exec(t);
  if (local) {
    const whole = local[1]!;
    const d =
      zone === 'utc'
        ? parse(`${whole}Z`, 'yyyy-MM-dd HH:mm:ssX', new Date(0))
        : parse(whole, 'yyyy-MM-dd HH:mm:ss', new Date(0));
    return isValid(d) ? fromMs(d.getTime(), local[2]) : null;
  }
  if (!t.includes('T')) return null;
  const frac = ISO_FRACTION.exec(t);
  if (frac && frac[2]!.length > 9) return null;
  let iso = frac ? `${frac[1]}${frac[3] ?? ''}` : t;
  if (zone === 'utc' && !ISO_ZONE.test(iso)) iso += 'Z';
  const d = parseISO(iso);
  return isValid(d) ? fromMs(d.getTime(), frac?.[2]) : null;
}

/** "2026-11-22 08:36:15.442" in the zone (milliseconds, truncated); null beyond Date's range. */
export function formatClock(sec: number, nsec: number, zone: Zone): string | null {
  if (zone === 'utc') {
    const iso = isoUtc(sec, nsec);
    return iso === null ? null : `${iso.slice(0, 10)} ${iso.slice(11, 23)}`;
  }
  const ms = sec * 1000 + Math.floor(nsec / 1e6);
  if (!Number.isFinite(ms) || Math.abs(ms) > 8.64e15) return null;
  return formatDate(new Date(ms), 'yyyy-MM-dd HH:mm:ss.SSS');
}

/** How the zone is named in headers: "UTC", or the local offset at that time ("UTC+01:00"). */
export function zoneLabel(sec: number, zone: Zone): string {
  if (zone === 'utc' || !Number.isFinite(sec * 1000) || Math.abs(sec * 1000) > 8.64e15) return 'UTC';
  return `UTC${formatDate(new Date(sec * 1000), 'xxx')}`;
}

/**
 * Exact span from (aSec, aNsec) to (bSec, bNsec) as seconds with nine decimals, negative when b is earlier
 * (timestamps out of order in the file).
 */
export function formatSpan(aSec: number, aNsec: number, bSec: number, bNsec: number): string {
  const negative = aSec > bSec || (aSec === bSec && aNsec > bNsec);
  const [fromSec, fromNsec, toSec, toNsec] = negative
    ? [bSec, bNsec, aSec, aNsec]
    : [aSec, aNsec, bSec, bNsec];
  let sec = toSec - fromSec;
  let nsec = toNsec - fromNsec;
  if (nsec < 0) {
    sec--;
    nsec += 1e9;
  }
  return `${negative ? '-' : ''}${sec}.${String(nsec).padStart(9, '0')}`;
}

/**
 * Span in integer nanoseconds, or null when it is too long to be exact as a number (over about 104 days:
 * only broken timestamps make a TCP handshake or session that long).
 */
export function spanNs(aSec: number, aNsec: number, bSec: number, bNsec: number): number | null {
  const ns = (bSec - aSec) * 1e9 + (bNsec - aNsec);
  return Number.isSafeInteger(ns) ? ns : null;
}

/** Signed nanoseconds as seconds with nine decimals: "0.012345678", "-1.500000000". */
export function formatDurationNs(ns: number): string {
  const sign = ns < 0 ? '-' : '';
  const abs = Math.abs(ns);
  const sec = Math.floor(abs / 1e9);
  return `${sign}${sec}.${String(abs - sec * 1e9).padStart(9, '0')}`;
}

/** A short human duration for columns: "850us", "12.3ms", "4.20s", "2m05s", "3h02m". */
export function shortDuration(ns: number): string {
  if (ns < 0) return `-${shortDuration(-ns)}`;
  // Each unit up to where its rounding would print the next unit's "1000" or "60".
  if (ns < 1e3) return `${ns}ns`;
  if (ns < 999.5e3) return `${Math.round(ns / 1e3)}us`;
  if (ns < 99.95e6) return `${(ns / 1e6).toFixed(1)}ms`;
  if (ns < 999.5e6) return `${Math.round(ns / 1e6)}ms`;
  if (ns < 59.995e9) return `${(ns / 1e9).toFixed(2)}s`;
  const totalSec = Math.round(ns / 1e9);
  if (totalSec < 3600) return `${Math.floor(totalSec / 60)}m${String(totalSec % 60).padStart(2, '0')}s`;
  const totalMin = Math.floor(totalSec / 60);
  if (totalMin < 6000) return `${Math.floor(totalMin / 60)}h${String(totalMin % 60).padStart(2, '0')}m`;
  return `${Math.floor(totalMin / 1440)}d`;
}
