/**
 * The screen of `queuectl top` as lines, for a terminal of a given size: never wider than it and
 * never more lines than it has rows, so nothing wraps or scrolls. Pure: data and size in, text out.
 */
import { JOB_STATES } from '../../core/job.js';
import { formatDuration } from '../../core/units.js';
import { ago, oneLine, paint, STATE_COLORS } from '../output.js';
import { table } from '../table.js';
import { flow, printable, truncate, width } from '../text-width.js';
import type { TopSnapshot } from './snapshot.js';

export interface TopView {
  columns: number;
  rows: number;
  /** This machine's clock; the snapshot's offset turns it into the store's. */
  now: number;
  location: string;
  /** The last refresh failed: shown on the bottom line while older data stays on screen. */
  error?: string | null;
}

interface Section {
  title: string;
  /** A table: header line first. Empty when there is nothing to list. */
  lines: string[];
  empty: string;
}

function clock(now: number): string {
  return new Date(now).toTimeString().slice(0, 8);
}

function titleLine(view: TopView, now: number): string {
  const left = `${paint('queuectl top', 'bold')}  ${printable(view.location)}`;
  const right = `${clock(now)}  q quits`;
  const room = view.columns - width(right) - 2;
  if (room < width('queuectl top')) return 'queuectl top';
  return `${truncate(left, room)}${' '.repeat(room - width(truncate(left, room)) + 2)}${right}`;
}

function countLines(snapshot: TopSnapshot, columns: number): string[] {
  const total = JOB_STATES.reduce((sum, state) => sum + snapshot.counts[state], 0);
  const items = JOB_STATES.map(
    (state) => `${paint(state, STATE_COLORS[state])} ${snapshot.counts[state]}`,
  );
  return flow([...items, `total ${total}`], columns);
}

function throughputLine(snapshot: TopSnapshot, localNow: number): string {
  const { completed, failed, p50Ms } = snapshot.lastMinute;
  const parts = [`last minute: ${completed} completed, ${failed} failed`];
  if (p50Ms !== null) parts.push(`median run ${formatDuration(p50Ms)}`);
  if (snapshot.oldestWaitingMs !== null) {
    const waited = snapshot.oldestWaitingMs + Math.max(0, localNow - snapshot.takenAt);
    parts.push(`oldest waiting ${formatDuration(waited)}`);
  }
  return parts.join(' · ');
}

function workerSection(snapshot: TopSnapshot, now: number): Section {
  const rows = snapshot.workers.map((w) => [
    printable(w.id),
    printable(w.host),
    String(w.pid),
    w.job === null ? '-' : printable(w.job),
    (w.job === null
      ? paint('idle', 'gray')
      : w.jobStartedAt === null
        ? '-'
        : formatDuration(Math.max(0, now - w.jobStartedAt))) +
      (w.stale ? paint(' (stale)', 'yellow') : '') +
      (w.stopping ? ' (stopping)' : ''),
  ]);
  return {
    title: `WORKERS ${snapshot.workers.length}`,
    lines: rows.length ? table(['WORKER', 'HOST', 'PID', 'JOB', 'RUNNING'], rows).split('\n') : [],
    empty: 'no active workers (queuectl worker start)',
  };
}

function failureSection(snapshot: TopSnapshot, now: number): Section {
  const rows = snapshot.failures.map((job) => [
    printable(job.id),
    paint(job.state, STATE_COLORS[job.state]),
    ago(job.finished_at ?? job.updated_at, now),
    `${job.attempts}/${job.max_retries + 1}`,
    printable(oneLine(job.last_error, 200)),
  ]);
  return {
    title: 'LATEST FAILURES',
    lines: rows.length ? table(['JOB', 'STATE', 'WHEN', 'RUNS', 'ERROR'], rows).split('\n') : [],
    empty: 'no failed or dead jobs',
  };
}

/** How many lines a section needs in full: a blank line, its title, then its table or `empty`. */
function needed(section: Section): number {
  return 2 + Math.max(1, section.lines.length);
}

/**
 * A section in at most `room` lines. In full it has a blank line above its title; short of
 * room it drops that line and the `empty` note, then table rows, counting those left out.
 */
function layOut(section: Section, room: number): string[] {
  if (room <= 0) return [];
  const title = paint(section.title, 'bold');
  if (room >= needed(section)) {
    return ['', title, ...(section.lines.length ? section.lines : [section.empty])];
  }
  const space = room - 1;
  const [header, ...rows] = section.lines;
  const more = (n: number) => paint(`… ${n} more`, 'gray');
  if (space === 0 || rows.length === 0) return [title];
  if (space === 1) return [title, more(rows.length)];
  if (space === 2) return [title, rows[0]!, more(rows.length - 1)];
  if (rows.length <= space - 1) return [title, header!, ...rows];
  return [title, header!, ...rows.slice(0, space - 2), more(rows.length - (space - 2))];
}

export function renderTop(snapshot: TopSnapshot | null, view: TopView): string[] {
  const now = view.now + (snapshot?.clockOffsetMs ?? 0);
  const columns = Math.max(1, view.columns);
  const head = [titleLine(view, now)];
  const sections: Section[] = [];
  if (snapshot === null) {
    head.push('reading the queue…');
  } else {
    head.push(...countLines(snapshot, columns), throughputLine(snapshot, view.now));
    sections.push(workerSection(snapshot, now), failureSection(snapshot, now));
  }
  const footer = view.error ? [paint(`! ${printable(view.error)} (retrying)`, 'red')] : [];
  let room = view.rows - head.length - footer.length;
  const body: string[] = [];
  if (sections.length === 2) {
    const [workers, failures] = sections as [Section, Section];
    // Workers first, but never more than half of the room when failures need the rest.
    const forWorkers = Math.min(
      needed(workers),
      Math.max(Math.ceil(room / 2), room - needed(failures)),
    );
    body.push(...layOut(workers, forWorkers));
    room -= body.length;
    body.push(...layOut(failures, room));
  }
  const lines = [...head, ...body];
  const kept = lines.slice(0, Math.max(0, view.rows - footer.length));
  return [...kept, ...footer]
    .slice(0, Math.max(0, view.rows))
    .map((line) => truncate(line, columns));
}
