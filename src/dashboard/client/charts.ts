/// <reference lib="dom" />
/** Inline SVG charts: throughput per minute over the last hour, and runs by duration. */
import { duration, svg } from './dom.js';

const W = 600;
const H = 180;
const PAD = { left: 34, right: 8, top: 10, bottom: 22 };

function frame(target: SVGSVGElement, max: number): { y: (v: number) => number; plotW: number } {
  const plotH = H - PAD.top - PAD.bottom;
  const y = (v: number) => PAD.top + plotH - (max === 0 ? 0 : (v / max) * plotH);
  target.replaceChildren(
    svg('line', { class: 'axis', x1: PAD.left, y1: y(0), x2: W - PAD.right, y2: y(0) }),
    svg('line', { class: 'axis', x1: PAD.left, y1: y(max), x2: W - PAD.right, y2: y(max) }),
    svg('text', { x: PAD.left - 4, y: y(0) + 3, 'text-anchor': 'end' }, '0'),
    svg('text', { x: PAD.left - 4, y: y(max) + 3, 'text-anchor': 'end' }, String(max)),
  );
  return { y, plotW: W - PAD.left - PAD.right };
}

export interface MinuteFigures {
  minute: number;
  completed: number;
  failed: number;
}

/** Two bars per minute, the last 60 minutes ending at `now`. */
export function drawThroughput(target: SVGSVGElement, perMinute: MinuteFigures[], now: number) {
  const last = Math.floor(now / 60_000) * 60_000;
  const byMinute = new Map(perMinute.map((m) => [m.minute, m]));
  const minutes = Array.from({ length: 60 }, (_, i) => last - (59 - i) * 60_000);
  const max = Math.max(1, ...perMinute.map((m) => Math.max(m.completed, m.failed)));
  const { y, plotW } = frame(target, max);
  const slot = plotW / minutes.length;
  minutes.forEach((minute, i) => {
    const figures = byMinute.get(minute);
    const x = PAD.left + i * slot;
    for (const [k, key] of (['completed', 'failed'] as const).entries()) {
      const value = figures?.[key] ?? 0;
      if (value === 0) continue;
      const bar = svg('rect', {
        class: key,
        x: x + 1 + (k * (slot - 2)) / 2,
        y: y(value),
        width: Math.max(1, (slot - 2) / 2),
        height: y(0) - y(value),
      });
      bar.append(svg('title', {}, `${new Date(minute).toLocaleTimeString()}: ${value} ${key}`));
      target.append(bar);
    }
  });
  for (const [i, label] of [
    [0, '-60m'],
    [30, '-30m'],
    [59, 'now'],
  ] as const) {
    const anchor = i === 0 ? 'start' : i === 59 ? 'end' : 'middle';
    target.append(
      svg(
        'text',
        { x: PAD.left + (i + (i === 59 ? 1 : 0)) * slot, y: H - 6, 'text-anchor': anchor },
        label,
      ),
    );
  }
}

/** Runs per duration bucket, from cumulative counts (as /metrics exposes them). */
export function drawDurations(
  target: SVGSVGElement,
  buckets: { leMs: number; count: number }[],
  total: number,
) {
  const counts = buckets.map((b, i) => b.count - (i ? buckets[i - 1]!.count : 0));
  counts.push(total - (buckets[buckets.length - 1]?.count ?? 0));
  const labels = [...buckets.map((b) => `≤${duration(b.leMs)}`), 'more'];
  const { y, plotW } = frame(target, Math.max(1, ...counts));
  const slot = plotW / counts.length;
  counts.forEach((count, i) => {
    const x = PAD.left + i * slot;
    if (count > 0) {
      const bar = svg('rect', {
        class: 'bar',
        x: x + 2,
        y: y(count),
        width: slot - 4,
        height: y(0) - y(count),
      });
      bar.append(svg('title', {}, `${labels[i]}: ${count} runs`));
      target.append(bar);
    }
    target.append(svg('text', { x: x + slot / 2, y: H - 6, 'text-anchor': 'middle' }, labels[i]));
  });
}
