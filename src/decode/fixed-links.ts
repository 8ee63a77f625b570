/**
 * Link layers that are a fixed-size header holding an EtherType at a fixed place. Cisco HDLC
 * (LINKTYPE_C_HDLC 104: address, control, protocol) is common in router captures; IP over InfiniBand
 * (LINKTYPE_IPOIB 242: 40 bytes of addressing, protocol, 2 reserved bytes) in data-centre ones.
 */
import { TRUNCATED_LINK_HEADER } from './anomalies.js';
import { be16, type DecodeState, type LayerDecoder, report } from './state.js';
import { dispatchEtherType } from './tables.js';

function etherTypeAt(name: string, headerLength: number, typeOffset: number): LayerDecoder {
  return (s: DecodeState, off: number): void => {
    if (off + headerLength > s.end) {
      s.view.truncated = true;
      report(s, TRUNCATED_LINK_HEADER, off, `${name}: ${s.end - off} of ${headerLength} bytes`);
      return;
    }
    dispatchEtherType(s, be16(s.data, off + typeOffset), off + headerLength);
  };
}

export const decodeCiscoHdlc = etherTypeAt('Cisco HDLC', 4, 2);
export const decodeIpOverInfiniband = etherTypeAt('IPoIB', 44, 40);
