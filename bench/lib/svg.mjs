// A small SVG line-chart writer for the results, with one panel per generator. Each panel plots the
// offered rate (log scale) against leases/s, one line per system. A marker is the median over
// repetitions, with a bar from the lowest to the highest repetition. A dashed line marks leases/s
// equal to the offered rate, and a legend names the systems.

const PANEL_WIDTH = 560;
const PANEL_HEIGHT = 420;
const MARGIN = { left: 78, right: 24, top: 48, bottom: 58 };
const LEGEND_ROW_HEIGHT = 20;
const LEGEND_ITEM_WIDTH = 180;
const COLORS = {
  nestor: '#d62728',
  'nestor-lb': '#ff7f0e',
  'nestor-hs': '#e377c2',
  'kea-st': '#1f77b4',
  'kea-mt': '#17becf',
  'kea-lb': '#2ca02c',
  'kea-hs': '#9467bd',
  ceiling: '#7f7f7f',
};
const FALLBACK_COLORS = ['#8c564b', '#bcbd22', '#393b79'];
const LEGEND_ORDER = Object.keys(COLORS);

/**
 * Render the chart. `panels` is a list of { title, series: [{ name, label, rows }] } where each row
 * has offered_rate, leases_per_s and spread.leases_per_s.
 */
export function renderChart({ title, subtitle, panels }) {
  const width = PANEL_WIDTH * panels.length;
  const legendRows = Math.ceil((legendEntries(panels).length + 1) / legendColumns(width));
  const height = PANEL_HEIGHT + legendRows * LEGEND_ROW_HEIGHT + 28 + 44;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    text(width / 2, 22, title, { size: 16, anchor: 'middle', weight: 'bold' }),
    text(width / 2, 40, subtitle, { size: 11, anchor: 'middle', fill: '#555' }),
  ];
  panels.forEach((panel, i) => parts.push(renderPanel(panel, i * PANEL_WIDTH, 44)));
  parts.push(renderLegend(panels, width, PANEL_HEIGHT + 44 + 8));
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

function renderPanel(panel, offsetX, offsetY) {
  const plotW = PANEL_WIDTH - MARGIN.left - MARGIN.right;
  const plotH = PANEL_HEIGHT - MARGIN.top - MARGIN.bottom;
  const x0 = offsetX + MARGIN.left;
  const y0 = offsetY + MARGIN.top;
  const rows = panel.series.flatMap((s) => s.rows);
  const out = [text(offsetX + PANEL_WIDTH / 2, offsetY + 24, panel.title, { size: 14, anchor: 'middle', weight: 'bold' })];
  if (rows.length === 0) {
    out.push(text(x0 + plotW / 2, y0 + plotH / 2, 'no points measured', { anchor: 'middle', fill: '#888' }));
    return out.join('\n');
  }

  const rates = rows.map((r) => r.offered_rate);
  const xMin = Math.min(...rates) / 1.25;
  const xMax = Math.max(...rates) * 1.25;
  // 5 % headroom keeps the highest marker off the frame.
  const yTop = niceCeiling(1.05 * Math.max(1, ...rows.map((r) => r.spread?.leases_per_s?.[1] ?? r.leases_per_s ?? 0)));
  const px = (rate) => x0 + (Math.log(rate / xMin) / Math.log(xMax / xMin)) * plotW;
  const py = (value) => y0 + plotH - (value / yTop) * plotH;

  out.push(`<rect x="${x0}" y="${y0}" width="${plotW}" height="${plotH}" fill="none" stroke="#333"/>`);
  let xTicks = logTicks(xMin, xMax);
  // A narrow range (one or two rates) gets a tick at each measured rate instead.
  if (xTicks.length < 3) xTicks = [...new Set(rates)].sort((a, b) => a - b);
  for (const tick of xTicks) {
    out.push(line(px(tick), y0, px(tick), y0 + plotH, '#e5e5e5'));
    out.push(text(px(tick), y0 + plotH + 16, formatCount(tick), { anchor: 'middle' }));
  }
  for (let i = 0; i <= 5; i++) {
    const value = (yTop * i) / 5;
    out.push(line(x0, py(value), x0 + plotW, py(value), '#e5e5e5'));
    out.push(text(x0 - 6, py(value) + 4, formatCount(value), { anchor: 'end' }));
  }
  out.push(text(x0 + plotW / 2, y0 + plotH + 40, 'offered rate (new clients/s, log scale)', { anchor: 'middle' }));
  out.push(text(offsetX + 18, y0 + plotH / 2, 'leases/s (REQUEST → ACK received)', { anchor: 'middle', rotate: true }));

  // Where every offered exchange became a lease; clipped to the plot. With a log x axis and a linear
  // y axis the line y = x is a curve, so it is drawn through many points spaced evenly in log(x).
  const idealEnd = Math.min(xMax, yTop);
  const steps = 64;
  const idealPoints = [];
  for (let k = 0; k <= steps; k++) {
    const x = xMin * (idealEnd / xMin) ** (k / steps);
    idealPoints.push(`${k === 0 ? 'M' : 'L'}${px(x).toFixed(1)},${py(x).toFixed(1)}`);
  }
  out.push(`<path d="${idealPoints.join(' ')}" stroke="#999" stroke-dasharray="4 4" fill="none"/>`);

  panel.series.forEach((series, i) => {
    const color = colorFor(series.name, i);
    const pts = series.rows.filter((r) => r.leases_per_s !== null);
    if (pts.length === 0) return;
    const d = pts.map((r, j) => `${j === 0 ? 'M' : 'L'}${px(r.offered_rate).toFixed(1)},${py(r.leases_per_s).toFixed(1)}`).join(' ');
    out.push(`<path d="${d}" stroke="${color}" stroke-width="2" fill="none"/>`);
    for (const r of pts) {
      const [lo, hi] = r.spread?.leases_per_s ?? [r.leases_per_s, r.leases_per_s];
      out.push(line(px(r.offered_rate), py(lo), px(r.offered_rate), py(hi), color));
      const fill = r.sustained ? color : 'white';
      out.push(`<circle cx="${px(r.offered_rate).toFixed(1)}" cy="${py(r.leases_per_s).toFixed(1)}" r="3.5" fill="${fill}" stroke="${color}" stroke-width="1.5"/>`);
    }
  });
  return out.join('\n');
}

/** List the systems of all panels, once each, in LEGEND_ORDER, as [name, { label, index }]. */
function legendEntries(panels) {
  const names = new Map();
  for (const panel of panels) panel.series.forEach((s, i) => { if (!names.has(s.name)) names.set(s.name, { label: s.label, index: i }); });
  const rank = (name) => (LEGEND_ORDER.includes(name) ? LEGEND_ORDER.indexOf(name) : LEGEND_ORDER.length);
  return [...names.entries()].sort((a, b) => rank(a[0]) - rank(b[0]));
}

function legendColumns(width) {
  return Math.max(1, Math.floor((width - 20) / LEGEND_ITEM_WIDTH));
}

/** Draw the legend in rows of as many items as fit the width, the dashed ideal line last. */
function renderLegend(panels, width, y) {
  const entries = legendEntries(panels);
  const columns = legendColumns(width);
  const items = entries.length + 1;
  const out = [];
  for (let i = 0; i < items; i++) {
    const inRow = Math.min(columns, items - Math.floor(i / columns) * columns);
    const x = Math.max(10, (width - LEGEND_ITEM_WIDTH * inRow) / 2) + (i % columns) * LEGEND_ITEM_WIDTH;
    const rowY = y + Math.floor(i / columns) * LEGEND_ROW_HEIGHT;
    if (i === entries.length) {
      out.push(`<path d="M${x},${rowY + 10} L${x + 26},${rowY + 10}" stroke="#999" stroke-dasharray="4 4"/>`);
      out.push(text(x + 32, rowY + 14, 'leases/s = offered rate'));
      continue;
    }
    const [name, { label, index }] = entries[i];
    const color = colorFor(name, index);
    out.push(line(x, rowY + 10, x + 26, rowY + 10, color, 2));
    out.push(`<circle cx="${x + 13}" cy="${rowY + 10}" r="3.5" fill="${color}"/>`);
    out.push(text(x + 32, rowY + 14, label));
  }
  const noteY = y + Math.ceil(items / columns) * LEGEND_ROW_HEIGHT + 12;
  out.push(text(width / 2, noteY, 'filled marker: sustained (≤ 2.5 % failed, leases/s within 2.5 % of offered; medians); bar: lowest to highest repetition', { anchor: 'middle', size: 11, fill: '#555' }));
  return out.join('\n');
}

function colorFor(name, index) {
  return COLORS[name] ?? FALLBACK_COLORS[index % FALLBACK_COLORS.length];
}

function logTicks(min, max) {
  const ticks = [];
  for (let decade = 10 ** Math.floor(Math.log10(min)); decade <= max; decade *= 10) {
    for (const m of [1, 2, 5]) {
      const tick = m * decade;
      if (tick >= min && tick <= max) ticks.push(tick);
    }
  }
  return ticks;
}

function niceCeiling(value) {
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const m of [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) {
    if (m * magnitude >= value) return m * magnitude;
  }
  return 10 * magnitude;
}

function formatCount(value) {
  if (value >= 1000) return `${Number((value / 1000).toFixed(1))}k`;
  return String(Number(value.toFixed(1)));
}

function line(xa, ya, xb, yb, color, width = 1) {
  return `<line x1="${xa.toFixed(1)}" y1="${ya.toFixed(1)}" x2="${xb.toFixed(1)}" y2="${yb.toFixed(1)}" stroke="${color}" stroke-width="${width}"/>`;
}

function text(x, y, content, { size, anchor, weight, fill, rotate } = {}) {
  const attrs = [`x="${x.toFixed(1)}"`, `y="${y.toFixed(1)}"`];
  if (size !== undefined) attrs.push(`font-size="${size}"`);
  if (anchor !== undefined) attrs.push(`text-anchor="${anchor}"`);
  if (weight !== undefined) attrs.push(`font-weight="${weight}"`);
  if (fill !== undefined) attrs.push(`fill="${fill}"`);
  if (rotate) attrs.push(`transform="rotate(-90 ${x.toFixed(1)} ${y.toFixed(1)})"`);
  return `<text ${attrs.join(' ')}>${escapeXml(content)}</text>`;
}

function escapeXml(s) {
  return String(s).replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}
