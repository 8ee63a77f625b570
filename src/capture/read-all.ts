import type { AnomalyLog } from '../common/anomaly.js';
import { type OpenOptions, openCapture } from './open.js';
import type { CaptureError, CaptureInfo, PacketRecord } from './types.js';

export interface ReadAllResult {
  info: CaptureInfo;
  anomalies: AnomalyLog;
  /** The error that stopped reading early, if any; every packet before it was delivered. */
  error: CaptureError | null;
  packets: number;
}

/**
 * Read a whole file, calling `onPacket` for each packet (the record is reused: copy what must outlive the
 * call). Throws a CaptureError only when the file cannot be opened or is not a capture.
 */
export function readAll(
  path: string,
  onPacket: (rec: PacketRecord) => void,
  opts?: OpenOptions,
): ReadAllResult {
  const reader = openCapture(path, opts);
  let packets = 0;
  try {
    for (let rec = reader.next(); rec !== null; rec = reader.next()) {
      packets++;
      onPacket(rec);
    }
  } finally {
    reader.close();
  }
  return { info: reader.info, anomalies: reader.anomalies, error: reader.error, packets };
}
