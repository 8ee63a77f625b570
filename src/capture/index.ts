/** The capture stage: pcap and pcapng files (plain, gzip, zstd where available) to packet records. */
export * as captureAnomalies from './anomalies.js';
export {
  buildPcap,
  i64Value,
  type OptionSpec,
  type PcapFileSpec,
  PcapngBuilder,
  type PcapRecordSpec,
  textOption,
  u8Option,
  u32Value,
} from './build.js';
export { linktypeName, maxCaplenFor } from './linktype.js';
export { DEFAULT_CHUNK_SIZE, type OpenOptions, openCapture } from './open.js';
export { type ReadAllResult, readAll } from './read-all.js';
export type {
  CaptureFormat,
  CaptureInfo,
  CaptureReader,
  Compression,
  InterfaceInfo,
  PacketRecord,
  SectionInfo,
} from './types.js';
export { CaptureError } from './types.js';
