/**
 * The capture stage's named anomalies. Fatal ones double as `CaptureError` ids (reading stops there, after
 * every packet before it was delivered); the others are counted and reading goes on.
 * Keep in sync with docs/anomalies.md, section `capture.*`.
 */
import { defineAnomaly } from '../common/anomaly.js';

// Fatal at open time: `openCapture` throws a CaptureError with one of these ids.
export const EMPTY_FILE = defineAnomaly('capture.empty_file', 'error', 'The file is empty.');
export const OPEN_FAILED = defineAnomaly(
  'capture.open_failed',
  'error',
  'The file could not be opened or read.',
);
export const NOT_A_CAPTURE = defineAnomaly(
  'capture.not_a_capture',
  'error',
  'The file starts with no pcap, pcapng, gzip or zstd magic number.',
);
export const TRUNCATED_HEADER = defineAnomaly(
  'capture.truncated_header',
  'error',
  'The file ends inside its file header (pcap) or first section header block (pcapng).',
);
export const UNSUPPORTED_VERSION = defineAnomaly(
  'capture.unsupported_version',
  'error',
  'The file or section declares a major version this reader does not know (pcap 2.x and pcapng 1.x are read).',
);
export const UNSUPPORTED_COMPRESSION = defineAnomaly(
  'capture.unsupported_compression',
  'error',
  'The file is compressed with a method this Node.js cannot decompress.',
);

// Fatal after the header: reading stops, `reader.error` is set.
export const BAD_RECORD_LENGTH = defineAnomaly(
  'capture.bad_record_length',
  'error',
  'A packet record claims a captured length that cannot be right (beyond the maximum for its link type, or beyond its block).',
);
export const BAD_BLOCK_LENGTH = defineAnomaly(
  'capture.bad_block_length',
  'error',
  'A pcapng block length is too small for its type, not a multiple of 4, or beyond the maximum block size.',
);
export const BAD_BLOCK_TRAILER = defineAnomaly(
  'capture.bad_block_trailer',
  'error',
  'A pcapng block ends with a length different from the one it starts with.',
);
export const BAD_SECTION_HEADER = defineAnomaly(
  'capture.bad_section_header',
  'error',
  'A pcapng section header block has an invalid byte-order magic.',
);
export const BAD_COMPRESSED_DATA = defineAnomaly(
  'capture.bad_compressed_data',
  'error',
  'The compressed stream is corrupt (bad deflate data, bad checksum or trailing garbage).',
);
export const READ_FAILED = defineAnomaly('capture.read_failed', 'error', 'Reading the file failed part way.');

// Counted, reading goes on.
export const TRUNCATED_RECORD = defineAnomaly(
  'capture.truncated_record',
  'warning',
  'The file ends in the middle of a record or block: it was cut short; every complete packet before was kept.',
);
export const TRUNCATED_COMPRESSED = defineAnomaly(
  'capture.truncated_compressed',
  'warning',
  'The compressed stream ends before its end marker: the file was cut short.',
);
export const INVALID_TIMESTAMP_FRACTION = defineAnomaly(
  'capture.invalid_timestamp_fraction',
  'warning',
  'A pcap timestamp fraction is not below one second (>= 1e6 us or >= 1e9 ns); it was carried into the seconds.',
);
export const CAPLEN_EXCEEDS_SNAPLEN = defineAnomaly(
  'capture.caplen_exceeds_snaplen',
  'warning',
  'A packet has more captured bytes than the snapshot length of its interface; kept whole.',
);
export const CAPLEN_EXCEEDS_LEN = defineAnomaly(
  'capture.caplen_exceeds_len',
  'warning',
  'A packet has more captured bytes than its original length on the wire; kept as is.',
);
export const UNDEFINED_INTERFACE = defineAnomaly(
  'capture.undefined_interface',
  'error',
  'A pcapng packet names an interface that no IDB of its section defined; the packet was skipped.',
);
export const BAD_OPTION = defineAnomaly(
  'capture.bad_option',
  'warning',
  'A pcapng option runs past the end of its block; the options from there on were ignored.',
);
export const UNKNOWN_BLOCK = defineAnomaly(
  'capture.unknown_block',
  'note',
  'A pcapng block of a type this reader does not know was skipped.',
);
export const ODD_VERSION = defineAnomaly(
  'capture.odd_version',
  'note',
  'The file declares an unusual minor version (pcap other than 2.4, pcapng other than 1.0); read as usual.',
);
export const LINKTYPE_RESERVED_BITS = defineAnomaly(
  'capture.linktype_reserved_bits',
  'note',
  'The pcap header link-type field has reserved bits set; they were ignored.',
);
