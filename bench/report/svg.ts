/**
 * Two chart shapes as standalone SVG text (no library, no external font or stylesheet): grouped
 * horizontal bars, on a linear or log axis, and lines over categorical x values. Text widths are
 * estimated (no font metrics in Node), so layouts leave margin.
 */

/** Okabe–Ito colours: distinct for the common kinds of colour blindness. */
export const PALETTE = [
  '#0072B2',
  '#E69F00',
  '#009E73',
  '#CC79A7',
  '#56B4E9',
  '#D55E00',
  '#000000',
];

const FONT = 'font-family="Helvetica, Arial, sans-serif"';
const CHAR_PX = 6.6; // average glyph width at 12px, for layout estimates

export interface Series {
  readonly name: string;
  readonly color: string;
}

export interface BarGroup {
  readonly label: string;
  /** One value per series, in the series' order; undefined leaves the bar out. */
  readonly values: readonly (number | undefined)[];
  /** Drawn in bold (the system under test among baselines). */
  readonly isEmphasized?: boolean;
}

export interface BarChartSpec {
  readonly title: string;
  readonly subtitle?: string;
  readonly series: readonly Series[];
  readonly groups: readonly BarGroup[];
  readonly axisLabel: string;
  readonly scale: 'linear' | 'log';
  /** Fixed top of a linear axis (e.g. 1 for ratios); default: a round number above the data. */
  readonly max?: number;
  readonly format: (value: number) => string;
  /** Axis tick labels; default `format`. */
  readonly tickFormat?: (value: number) => string;
}

export function barChart(spec: BarChartSpec): string {
  const width = 800;
  const barHeight = 13;
  // bold labels run ~10% wider than CHAR_PX: measure every label as if bold
  const longest = Math.max(...spec.groups.map((g) => g.label.length));
  const labelWidth = Math.round(Math.min(340, longest * CHAR_PX * 1.12 + 20));
  const plotLeft = labelWidth + 8;
  const plotRight = width - 84; // room for the value printed after the longest bar
  const top = headerHeight(spec) + legendHeight(spec.series, width);
  const groupHeight = (n: number): number => n * (barHeight + 2) + 12;
  const plotHeight = spec.groups.reduce((h, g) => h + groupHeight(g.values.length), 0);
  const height = top + plotHeight + 48;
  const values = spec.groups.flatMap((g) => g.values).filter((v): v is number => v !== undefined);
  const axis =
    spec.scale === 'log' ? logAxis(values) : linearAxis(spec.max ?? Math.max(0, ...values));
  const x = (v: number): number => plotLeft + axis.position(v) * (plotRight - plotLeft);

  const parts: string[] = [svgOpen(width, height, spec.title), header(spec, width)];
  parts.push(legend(spec.series, width, headerHeight(spec)));
  for (const tick of axis.ticks) {
    const at = x(tick).toFixed(1);
    parts.push(
      `<line x1="${at}" y1="${top}" x2="${at}" y2="${top + plotHeight}" stroke="#e3e3e3"/>`,
      text(
        Number(at),
        top + plotHeight + 16,
        (spec.tickFormat ?? spec.format)(tick),
        'middle',
        11,
        '#555',
      ),
    );
  }
  parts.push(text((plotLeft + plotRight) / 2, height - 10, spec.axisLabel, 'middle', 12, '#333'));
  let y = top;
  for (const group of spec.groups) {
    const h = groupHeight(group.values.length);
    const weight = group.isEmphasized ? ' font-weight="bold"' : '';
    parts.push(
      `<text x="${plotLeft - 8}" y="${(y + h / 2 + 4).toFixed(1)}" text-anchor="end" font-size="12" fill="#222" ${FONT}${weight}>${escapeXml(group.label)}</text>`,
    );
    group.values.forEach((value, i) => {
      const barY = y + 6 + i * (barHeight + 2);
      if (value === undefined) return;
      const end = Math.max(plotLeft + 1, x(value));
      const color = spec.series[i]?.color ?? PALETTE[i % PALETTE.length]!;
      parts.push(
        `<rect x="${plotLeft}" y="${barY}" width="${(end - plotLeft).toFixed(1)}" height="${barHeight}" fill="${color}"><title>${escapeXml(`${group.label}, ${spec.series[i]?.name ?? ''}: ${spec.format(value)}`)}</title></rect>`,
        text(end + 4, barY + barHeight - 2, spec.format(value), 'start', 10, '#333'),
      );
    });
    y += h;
  }
  parts.push(
    `<line x1="${plotLeft}" y1="${top}" x2="${plotLeft}" y2="${top + plotHeight}" stroke="#888"/>`,
    '</svg>\n',
  );
  return parts.join('\n');
}

export interface LineSeries extends Series {
  /** y per x category (undefined: no point there). */
  readonly values: readonly (number | undefined)[];
  readonly isDashed?: boolean;
}

export interface LineChartSpec {
  readonly title: string;
  readonly subtitle?: string;
  /** Categories along x, evenly spaced (node counts 1, 2, 4, 8). */
  readonly xValues: readonly number[];
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly LineSeries[];
  readonly format: (value: number) => string;
}

export function lineChart(spec: LineChartSpec): string {
  const width = 800;
  const height = 420;
  const top = headerHeight(spec) + legendHeight(spec.series, width);
  const left = 80;
  const right = width - 40;
  const bottom = height - 52;
  const values = spec.series.flatMap((s) => s.values).filter((v): v is number => v !== undefined);
  const axis = linearAxis(Math.max(0, ...values));
  const step = spec.xValues.length > 1 ? (right - left - 40) / (spec.xValues.length - 1) : 0;
  const x = (i: number): number => left + 20 + i * step;
  const y = (v: number): number => bottom - axis.position(v) * (bottom - top);

  const parts: string[] = [svgOpen(width, height, spec.title), header(spec, width)];
  parts.push(legend(spec.series, width, headerHeight(spec)));
  for (const tick of axis.ticks) {
    const at = y(tick).toFixed(1);
    parts.push(
      `<line x1="${left}" y1="${at}" x2="${right}" y2="${at}" stroke="#e3e3e3"/>`,
      text(left - 6, Number(at) + 4, spec.format(tick), 'end', 11, '#555'),
    );
  }
  spec.xValues.forEach((value, i) => {
    parts.push(text(x(i), bottom + 18, String(value), 'middle', 11, '#555'));
  });
  parts.push(
    `<line x1="${left}" y1="${bottom}" x2="${right}" y2="${bottom}" stroke="#888"/>`,
    text((left + right) / 2, height - 10, spec.xLabel, 'middle', 12, '#333'),
    `<text transform="translate(18 ${((top + bottom) / 2).toFixed(1)}) rotate(-90)" text-anchor="middle" font-size="12" fill="#333" ${FONT}>${escapeXml(spec.yLabel)}</text>`,
  );
  spec.series.forEach((series, seriesIndex) => {
    const points = series.values
      .map((v, i) => (v === undefined ? undefined : ([x(i), y(v), v] as const)))
      .filter((p) => p !== undefined);
    if (points.length === 0) return;
    const dash = series.isDashed ? ' stroke-dasharray="6 4"' : '';
    const path = points.map(([px, py]) => `${px.toFixed(1)},${py.toFixed(1)}`).join(' ');
    parts.push(
      `<polyline points="${path}" fill="none" stroke="${series.color}" stroke-width="2"${dash}/>`,
    );
    // Close lines would print their labels on top of each other: odd series label below.
    const labelDy = seriesIndex % 2 === 0 ? -7 : 15;
    points.forEach(([px, py, v], i) => {
      parts.push(
        `<circle cx="${px.toFixed(1)}" cy="${py.toFixed(1)}" r="3.5" fill="${series.color}"><title>${escapeXml(`${series.name}: ${spec.format(v)}`)}</title></circle>`,
      );
      // a flat reference line says its value once, at its end
      if (!series.isDashed || i === points.length - 1) {
        parts.push(text(px + 6, py + labelDy, spec.format(v), 'start', 10, series.color));
      }
    });
  });
  parts.push('</svg>\n');
  return parts.join('\n');
}

interface Axis {
  /** 0..1 along the axis. */
  position(value: number): number;
  readonly ticks: readonly number[];
}

function linearAxis(dataMax: number): Axis {
  const top = niceCeiling(dataMax > 0 ? dataMax : 1);
  const stepSize = niceCeiling(top / 5);
  const ticks: number[] = [];
  for (let t = 0; t <= top + stepSize / 1e6; t += stepSize) ticks.push(t);
  const max = ticks[ticks.length - 1] ?? top;
  return { position: (v) => Math.min(1, Math.max(0, v / max)), ticks };
}

/** Powers of ten around the data: the bars of systems 100× apart stay readable. */
function logAxis(values: readonly number[]): Axis {
  const positive = values.filter((v) => v > 0);
  const low = positive.length === 0 ? 1 : 10 ** Math.floor(Math.log10(Math.min(...positive)));
  const high = Math.max(low * 10, 10 ** Math.ceil(Math.log10(Math.max(low, ...positive))));
  const ticks: number[] = [];
  for (let t = low; t <= high * 1.0001; t *= 10) ticks.push(t);
  const span = Math.log10(high) - Math.log10(low);
  return {
    position: (v) => (v <= low ? 0 : Math.min(1, (Math.log10(v) - Math.log10(low)) / span)),
    ticks,
  };
}

/** The smallest of 1, 2, 2.5, 5 × 10^k that is ≥ value. */
function niceCeiling(value: number): number {
  const power = 10 ** Math.floor(Math.log10(value));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * power >= value * 0.999999) return m * power;
  return 10 * power;
}

/** The root element, with a <title> (what screen readers and hovering browsers show). */
function svgOpen(width: number, height: number, title: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img">\n<title>${escapeXml(title)}</title>\n<rect width="100%" height="100%" fill="#ffffff"/>`;
}

function headerHeight(spec: { readonly subtitle?: string }): number {
  return spec.subtitle === undefined ? 36 : 54;
}

function header(
  spec: { readonly title: string; readonly subtitle?: string },
  width: number,
): string {
  const title = `<text x="16" y="24" font-size="16" font-weight="bold" fill="#111" ${FONT}>${escapeXml(spec.title)}</text>`;
  if (spec.subtitle === undefined) return title;
  const clipped = clip(spec.subtitle, (width - 32) / (CHAR_PX * 0.95));
  return `${title}\n${text(16, 44, clipped, 'start', 11.5, '#555')}`;
}

const LEGEND_ITEM_PAD = 34;

function legendWidths(series: readonly Series[]): number[] {
  return series.map((s) => s.name.length * CHAR_PX + LEGEND_ITEM_PAD);
}

function legendHeight(series: readonly Series[], width: number): number {
  let rows = 1;
  let x = 16;
  for (const w of legendWidths(series)) {
    if (x + w > width - 16) {
      rows++;
      x = 16;
    }
    x += w;
  }
  return rows * 20 + 8;
}

function legend(series: readonly Series[], width: number, top: number): string {
  const parts: string[] = [];
  let x = 16;
  let y = top + 4;
  legendWidths(series).forEach((w, i) => {
    const s = series[i]!;
    if (x + w > width - 16) {
      x = 16;
      y += 20;
    }
    parts.push(
      `<rect x="${x}" y="${y}" width="14" height="12" fill="${s.color}"/>`,
      text(x + 19, y + 10.5, s.name, 'start', 12, '#222'),
    );
    x += w;
  });
  return parts.join('\n');
}

function text(
  x: number,
  y: number,
  content: string,
  anchor: 'start' | 'middle' | 'end',
  size: number,
  color: string,
): string {
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" text-anchor="${anchor}" font-size="${size}" fill="${color}" ${FONT}>${escapeXml(content)}</text>`;
}

function clip(content: string, maxChars: number): string {
  return content.length <= maxChars ? content : `${content.slice(0, Math.max(1, maxChars - 1))}…`;
}

export function escapeXml(content: string): string {
  return content
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;');
}
