import { describe, expect, test } from 'vitest';
import {
  EXPIRED_TTL_MS,
  EXPTIME_RELATIVE_MAX_SEC,
  exptimeToTtlMs,
  isExpiredTtl,
  NEVER_TTL_MS,
} from '../../../src/protocol/exptime.js';

const NOW_MS = 1_700_000_000_500; // a fixed clock, half a second past a whole second

describe('exptimeToTtlMs', () => {
  test('0 never expires', () => {
    expect(exptimeToTtlMs(0, NOW_MS)).toBe(NEVER_TTL_MS);
    expect(NEVER_TTL_MS).toBe(0);
  });

  test('negative is already expired', () => {
    expect(exptimeToTtlMs(-1, NOW_MS)).toBe(EXPIRED_TTL_MS);
    expect(exptimeToTtlMs(-2147483648, NOW_MS)).toBe(-1);
  });

  test('up to 30 days is relative', () => {
    expect(EXPTIME_RELATIVE_MAX_SEC).toBe(2_592_000);
    expect(exptimeToTtlMs(1, NOW_MS)).toBe(1000);
    expect(exptimeToTtlMs(3600, NOW_MS)).toBe(3_600_000);
    expect(exptimeToTtlMs(2_592_000, NOW_MS)).toBe(2_592_000_000);
  });

  test('above 30 days is an absolute unix time', () => {
    expect(exptimeToTtlMs(1_700_000_060, NOW_MS)).toBe(59_500);
    expect(exptimeToTtlMs(1_700_000_001, NOW_MS)).toBe(500);
  });

  test('an absolute time at or before now is already expired', () => {
    expect(exptimeToTtlMs(1_700_000_000, NOW_MS)).toBe(EXPIRED_TTL_MS);
    expect(exptimeToTtlMs(1_700_000_000, 1_700_000_000_000)).toBe(EXPIRED_TTL_MS);
    // 30 days + 1 s is read as a date in 1970: long gone.
    expect(exptimeToTtlMs(2_592_001, NOW_MS)).toBe(EXPIRED_TTL_MS);
  });

  test('isExpiredTtl', () => {
    expect(isExpiredTtl(EXPIRED_TTL_MS)).toBe(true);
    expect(isExpiredTtl(0)).toBe(false);
    expect(isExpiredTtl(1)).toBe(false);
  });
});
