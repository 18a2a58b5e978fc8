import { describe, expect, test } from 'vitest';
import {
  checkKeyBytes,
  DEFAULT_ITEM_MAX_BYTES,
  isValidKey,
  isValidKeyBytes,
  KEY_CHECK,
  KEY_MAX_BYTES,
  LINE_MAX_BYTES,
} from '../../../src/protocol/limits.js';

const utf8 = (text: string) => new TextEncoder().encode(text);

describe('limits', () => {
  test('memcached values', () => {
    expect(KEY_MAX_BYTES).toBe(250);
    expect(LINE_MAX_BYTES).toBe(2048);
    expect(DEFAULT_ITEM_MAX_BYTES).toBe(1_048_576);
  });

  test('checkKeyBytes', () => {
    const key = utf8('xx key:1 été');
    expect(checkKeyBytes(key, 3, 8)).toBe(KEY_CHECK.ASCII);
    expect(checkKeyBytes(key, 9, key.length)).toBe(KEY_CHECK.NON_ASCII);
    expect(checkKeyBytes(key, 0, 8)).toBe(KEY_CHECK.INVALID);
    expect(checkKeyBytes(key, 3, 3)).toBe(KEY_CHECK.INVALID);
  });

  test.each([
    ['k', true],
    ['k'.repeat(250), true],
    ['é'.repeat(125), true],
    ['', false],
    ['k'.repeat(251), false],
    ['é'.repeat(126), false],
    ['a b', false],
    ['a\tb', false],
    ['a\r\nb', false],
    ['a\0b', false],
    ['a\x7fb', false],
    ['\ud800x', false],
    ['x\udc00', false],
    ['😀', true],
  ])('key %j valid: %s', (key, valid) => {
    expect(isValidKey(key)).toBe(valid);
    if (!/[\ud800-\udfff]/.test(key) || key === '😀')
      expect(isValidKeyBytes(utf8(key))).toBe(valid);
  });

  test('bytes that are not UTF-8 are not a key', () => {
    expect(isValidKeyBytes(Uint8Array.of(0x6b, 0xff))).toBe(false);
    expect(isValidKeyBytes(Uint8Array.of(0xc3))).toBe(false);
  });
});
