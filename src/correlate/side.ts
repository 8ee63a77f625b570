/**
 * Pass 1 of correlation, one capture at a time: read -> decode -> SessionTable, keeping only session
 * summaries and fingerprints (memory grows with connections and messages, never with packets).
 */
import { openCapture } from '../capture/index.js';
import { Decoder } from '../decode/index.js';
import { SessionTable, type SessionTableOptions } from '../tcp/index.js';
import { LineHasher } from './lines.js';
import type { Side, SideData } from './types.js';

export interface LoadSideOptions {
  /** Passed to the SessionTable (message and chunk bounds). */
  table?: Omit<SessionTableOptions, 'onStreamData'>;
  /** Called every few thousand packets with the bytes read from disk so far and the file's size. */
  onProgress?: (bytesRead: number, fileSize: number) => void;
}

/** Packets between progress calls: often enough for a smooth bar, rare enough to cost nothing. */
const PROGRESS_EVERY = 16384;

/**
 * Read one capture into SideData. Throws the CaptureError when the file cannot be opened or is not a
 * capture; an error in the middle of the file is kept in `error` and every packet before it is used.
 */
export function loadSide(path: string, side: Side, opts: LoadSideOptions = {}): SideData {
  const reader = openCapture(path);
  const decoder = new Decoder(reader.anomalies);
  const lines = new LineHasher();
  const table = new SessionTable({
    ...opts.table,
    onStreamData: (session, dir, offset, buf, start, end) =>
      lines.onData(session, dir, offset, buf, start, end),
  });
  let packets = 0;
  let firstSec = 0;
  let firstNsec = 0;
  let lastSec = 0;
  let lastNsec = 0;
  let timed = false;
  try {
    for (let rec = reader.next(); rec !== null; rec = reader.next()) {
      packets++;
      if (rec.hasTs) {
        const sec = rec.tsSec;
        const nsec = rec.tsNsec;
        if (!timed) {
          timed = true;
          firstSec = lastSec = sec;
          firstNsec = lastNsec = nsec;
        } else {
          // Files are not always in time order: keep the extremes.
          if (sec < firstSec || (sec === firstSec && nsec < firstNsec)) {
            firstSec = sec;
            firstNsec = nsec;
          }
          if (sec > lastSec || (sec === lastSec && nsec > lastNsec)) {
            lastSec = sec;
            lastNsec = nsec;
          }
        }
      }
      table.onPacket(decoder.decode(rec));
      if (opts.onProgress && packets % PROGRESS_EVERY === 0)
        opts.onProgress(reader.bytesRead, reader.fileSize);
    }
  } finally {
    reader.close();
  }
  table.finish();
  lines.finish(table.sessions);
  const baseSec = table.packets > 0 ? table.baseSec : firstSec;
  const digits = reader.info.precisionDigits;
  return {
    side,
    path,
    info: reader.info,
    anomalies: reader.anomalies,
    error: reader.error,
    packets,
    tcpPackets: table.packets,
    baseSec,
    shiftNs: 0,
    firstRelNs: timed ? (firstSec - baseSec) * 1e9 + firstNsec : 0,
    lastRelNs: timed ? (lastSec - baseSec) * 1e9 + lastNsec : 0,
    resolutionNs: digits >= 9 ? 1 : 10 ** (9 - Math.max(0, digits)),
    sessions: table.sessions,
    lineHashes: lines.hashes,
  };
}
