/** How figures are printed in tables and charts: one place, so both agree. */

/** 1234567 → "1,234,567". */
export function formatCount(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

/** 1234567 → "1.23M", 45600 → "45.6k": for chart labels where space is short. */
export function formatShort(value: number): string {
  const abs = Math.abs(value);
  if (abs >= 1e9) return `${trim(value / 1e9)}G`;
  if (abs >= 1e6) return `${trim(value / 1e6)}M`;
  if (abs >= 1e3) return `${trim(value / 1e3)}k`;
  return trim(value);
}

/** Latency in µs: two decimals under 10, one under 100, whole above. */
export function formatMicros(value: number): string {
  if (value < 10) return value.toFixed(2);
  if (value < 100) return value.toFixed(1);
  return Math.round(value).toLocaleString('en-US');
}

/** A throughput ratio: "0.52×". */
export function formatRatio(value: number | undefined): string {
  if (value === undefined) return '–';
  return `${value >= 10 ? value.toFixed(1) : value.toFixed(2)}×`;
}

/** A share as a percentage: 0.4567 → "45.7%". */
export function formatPercent(value: number | null | undefined): string {
  if (value === null || value === undefined) return '–';
  return `${(value * 100).toFixed(value < 0.1 ? 2 : 1)}%`;
}

function trim(value: number): string {
  return String(Number(value.toPrecision(3)));
}
