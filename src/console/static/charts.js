// Small hand-written SVG line charts over the history's points. Each series is
// a polyline in a fixed 600×160 viewBox that scales with its container.

import { h, s } from './dom.js';

const W = 600;
const H = 160;
const PAD = { l: 72, r: 8, t: 12, b: 24 };

/**
 * series: [{label, cls, get: (point) => number|null}]; points oldest first.
 * The figure carries data-points (how many steps) and data-max for tests and
 * for people who read numbers better than lines.
 */
export function lineChart(title, points, series, format = String) {
  const values = points.flatMap((p) => series.map((sr) => sr.get(p)).filter((v) => v !== null && v !== undefined));
  const max = Math.max(0, ...values);
  const top = max > 0 ? niceCeil(max) : 1;
  const t0 = points[0]?.t ?? 0;
  const t1 = points.at(-1)?.t ?? 1;
  const x = (t) => PAD.l + ((t - t0) / Math.max(1, t1 - t0)) * (W - PAD.l - PAD.r);
  const y = (v) => H - PAD.b - (v / top) * (H - PAD.t - PAD.b);

  const lines = series.map((sr) => {
    const pts = points
      .map((p) => [p.t, sr.get(p)])
      .filter(([, v]) => v !== null && v !== undefined)
      .map(([t, v]) => `${x(t).toFixed(1)},${y(v).toFixed(1)}`);
    return pts.length === 1
      ? s('circle', { class: `line ${sr.cls}`, cx: pts[0].split(',')[0], cy: pts[0].split(',')[1], r: 3 })
      : s('polyline', { class: `line ${sr.cls}`, points: pts.join(' ') });
  });
  const grid = [0, 0.5, 1].map((f) =>
    s(
      'g',
      {},
      s('line', { class: 'grid', x1: PAD.l, x2: W - PAD.r, y1: y(top * f), y2: y(top * f) }),
      s('text', { class: 'axis', x: PAD.l - 4, y: y(top * f) + 4, 'text-anchor': 'end' }, format(top * f)),
    ),
  );
  const sec = Math.round((t1 - t0) / 1000);
  const span = points.length > 1 ? (sec < 120 ? `${sec} s` : `${Math.round(sec / 60)} min`) : '';
  const svg = s(
    'svg',
    { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': `${title}: ${points.length} points, max ${format(max)}` },
    grid,
    lines,
    s('text', { class: 'axis', x: W - PAD.r, y: H - 4, 'text-anchor': 'end' }, points.length ? `last ${span}` : ''),
  );
  return h(
    'figure',
    { class: 'chart', dataset: { points: String(points.length), max: String(max) } },
    h('figcaption', {}, title),
    points.length === 0 ? h('p', { class: 'muted small' }, 'No data yet: a point every 5 s.') : svg,
    h(
      'ul',
      { class: 'legend' },
      series.map((sr) => h('li', {}, h('span', { class: `swatch ${sr.cls}` }), sr.label)),
    ),
  );
}

function niceCeil(v) {
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}
