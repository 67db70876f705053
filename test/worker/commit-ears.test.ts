/**
 * When a busy worker stops hearing the store's commits and when it hears them again (fake timers
 * and clock): deaf after more commits in a second than it would look for cancels anyway, looking
 * on a timer meanwhile; listening again after deafForMs, at once when the flood goes on; a slot
 * that frees makes it listen, and it stays listening holdAfterSlotMs whatever comes.
 */
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { CommitEars } from '../../src/worker/commit-ears.js';

const timing = { lookEveryMs: 100, deafForMs: 10_000, holdAfterSlotMs: 5000 };

let subscribed = 0;
let looks = 0;
let ears: CommitEars;

beforeEach(() => {
  vi.useFakeTimers();
  subscribed = 0;
  looks = 0;
  ears = new CommitEars(
    () => {
      subscribed++;
      return () => subscribed--;
    },
    { commit: () => {}, look: () => looks++ },
    timing,
    () => Date.now(),
  );
});

afterEach(() => {
  ears.close();
  vi.useRealTimers();
});

/** `n` commits heard with every slot busy, `gapMs` apart. */
function flood(n: number, gapMs = 10): void {
  for (let i = 0; i < n; i++) {
    ears.heardWhileBusy();
    vi.advanceTimersByTime(gapMs);
  }
}

it('stays listening for as many commits a second as it looks anyway, and goes deaf past that', () => {
  ears.listen();
  flood(10, 99); // ten in a second: no more than the looks it makes
  expect(ears.listening).toBe(true);
  flood(11);
  expect(ears.listening).toBe(false);
  expect(subscribed).toBe(0);
});

it('looks every lookEveryMs while deaf, then listens again and goes deaf again if the flood goes on', () => {
  ears.listen();
  flood(11);
  const looksBefore = looks;
  vi.advanceTimersByTime(1000);
  expect(looks - looksBefore).toBe(10);
  vi.advanceTimersByTime(timing.deafForMs);
  expect(ears.listening).toBe(true);
  expect(subscribed).toBe(1);
  flood(11);
  expect(ears.listening).toBe(false);
});

it('listens when a slot frees and stays listening holdAfterSlotMs, flood or not', () => {
  ears.listen();
  flood(11);
  expect(ears.listening).toBe(false);
  ears.listen(); // a slot freed
  expect(ears.listening).toBe(true);
  const looksBefore = looks;
  flood(400); // 4 s of 100 commits a second
  expect(ears.listening).toBe(true);
  expect(looks).toBe(looksBefore); // listening: looks come from commits, not a timer
  flood(150);
  expect(ears.listening).toBe(false);
});

it('close stops listening and looking', () => {
  ears.listen();
  flood(11);
  ears.close();
  const looksBefore = looks;
  vi.advanceTimersByTime(timing.deafForMs * 2);
  expect(looks).toBe(looksBefore);
  expect(ears.listening).toBe(false);
  expect(subscribed).toBe(0);
});
