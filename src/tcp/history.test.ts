import { describe, expect, test } from '@jest/globals';
import { H_ACK, H_DATA, H_FIN, H_GAP, H_RETRANSMIT, H_SYN, H_SYNACK, History } from './history.js';

describe('Zeek history', () => {
  test('upper case for the initiator, each letter once per direction', () => {
    const h = new History();
    h.add(0, H_SYN);
    h.add(1, H_SYNACK);
    h.add(0, H_ACK);
    h.add(0, H_DATA);
    h.add(1, H_ACK);
    h.add(1, H_DATA);
    h.add(0, H_DATA);
    h.add(0, H_FIN);
    h.add(1, H_FIN);
    expect(h.text).toBe('ShADadFf');
  });

  test('t, w and g repeat at 1, 10, 100 occurrences', () => {
    const h = new History();
    for (let i = 0; i < 150; i++) h.add(1, H_RETRANSMIT);
    for (let i = 0; i < 9; i++) h.add(0, H_GAP);
    expect(h.text).toBe('tttG');
  });
});

describe('Zeek history, long', () => {
  test('letters past the packed words keep their order', () => {
    const h = new History();
    h.flipped();
    for (const letter of [H_SYN, H_SYNACK, H_ACK, H_DATA, H_FIN]) {
      h.add(0, letter);
      h.add(1, letter);
    }
    for (let i = 0; i < 10_000; i++) {
      h.add(0, H_RETRANSMIT);
      h.add(1, H_GAP);
    }
    expect(h.text).toBe('^SsHhAaDdFfTgTgTgTgTg');
  });
});
