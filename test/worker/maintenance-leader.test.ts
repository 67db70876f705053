/**
 * The maintenance leader over real stores and real time: two workers' maintenance, each on its
 * own connections, with a probe duty that records when it runs. The leader is cut off from the
 * database (PostgreSQL: its connections killed with pg_terminate_backend, again and again, as
 * in a network partition): the other takes over, the cut-off one stops leading on its own before
 * that, and when the partition heals it stays a follower. Never do both run a duty at once.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { resolveSettings } from '../../src/core/config.js';
import type { JobStore } from '../../src/store/job-store.js';
import { openStore } from '../../src/store/open-store.js';
import type { Duty } from '../../src/worker/maintenance/duty.js';
import { Maintenance } from '../../src/worker/maintenance/maintenance.js';
import { adminQuery, describePg, freshPgUrl } from '../helpers/postgres.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';
import { join } from 'node:path';

const LEASE_TIMEOUT = '2s';

interface Member {
  name: string;
  store: JobStore;
  maintenance: Maintenance;
  /** [start, end] of every round of the probe duty, in performance.now() ms. */
  rounds: [number, number][];
  lines: string[];
  /** While set, every store call of this member fails, as for a process cut off. */
  gate: { cut: boolean };
}

const members: Member[] = [];
afterEach(async () => {
  for (const member of members.splice(0)) {
    await member.maintenance.stop();
    await member.store.close();
  }
});

async function member(name: string, location: string): Promise<Member> {
  let db = location;
  if (location.startsWith('postgres')) {
    // Each member's connections carry its name, so that a test can cut one member off.
    const url = new URL(location);
    url.searchParams.set('application_name', `qt_leader_${name}`);
    db = url.toString();
  }
  const store = await openStore({ db, durable: false });
  const gate = { cut: false };
  const gated = new Proxy(store, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) =>
        gate.cut
          ? Promise.reject(new Error('cut off'))
          : (value as (...a: unknown[]) => unknown).apply(target, args);
    },
  });
  const settings = resolveSettings({ 'lease-timeout': LEASE_TIMEOUT });
  const rounds: [number, number][] = [];
  const lines: string[] = [];
  const probe: Duty = {
    name: 'probe',
    scope: 'leader',
    async run() {
      const start = performance.now();
      await new Promise((resolve) => setTimeout(resolve, 20));
      rounds.push([start, performance.now()]);
      return 30;
    },
  };
  const maintenance = new Maintenance({
    context: {
      store: gated,
      host: 'test-host',
      workerId: name,
      logDir: tempDir(),
      settings: () => settings,
      log: (line) => lines.push(line),
      hook: () => {},
      hasHook: () => false,
      hooksHaveRoom: () => true,
      drain: false,
    },
    failed: (error) => lines.push(`failed: ${(error as Error).message}`),
    duties: [probe],
  });
  const made = { name, store, maintenance, rounds, lines, gate };
  members.push(made);
  maintenance.start();
  return made;
}

function overlaps(a: [number, number][], b: [number, number][]): number {
  let count = 0;
  for (const [s1, e1] of a) for (const [s2, e2] of b) if (s1 < e2 && s2 < e1) count++;
  return count;
}

function describeStore(kind: string, db: () => string, cutOff: (m: Member) => Promise<void>) {
  describe(`the maintenance leader (${kind})`, () => {
    it("keeps one leader while the leader's connections are killed (they come back)", async () => {
      if (kind !== 'postgres') return;
      const location = db();
      const a = await member('wa', location);
      await waitFor(() => a.maintenance.leading(), { what: 'a to lead' });
      const b = await member('wb', location);
      const until = performance.now() + 3000;
      while (performance.now() < until) {
        await adminQuery(
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'qt_leader_wa'`,
        );
        await new Promise((resolve) => setTimeout(resolve, 30));
      }
      await waitFor(() => a.maintenance.leading() || b.maintenance.leading(), { what: 'a leader' });
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(overlaps(a.rounds, b.rounds)).toBe(0);
      expect(a.rounds.length + b.rounds.length).toBeGreaterThan(20);
    });

    it('changes hands when the leader is cut off, never with two leaders at once', async () => {
      const location = db();
      const a = await member('wa', location);
      await waitFor(() => a.maintenance.leading(), { what: 'a to lead' });
      const b = await member('wb', location);
      await waitFor(() => a.rounds.length > 5);
      expect(b.maintenance.leading()).toBe(false);

      const cutAt = performance.now();
      await cutOff(a);
      await waitFor(() => b.maintenance.leading(), {
        timeoutMs: 10_000,
        what: 'b to take over',
      }).catch((e) => {
        throw new Error(`${e} a: ${a.lines.join('|')} b: ${b.lines.join('|')}`);
      });
      const tookOver = performance.now() - cutAt;
      expect(a.maintenance.leading()).toBe(false);
      // Healed: a's next request is refused, and it stays a follower while b leads.
      await waitFor(() => b.rounds.length > 10);
      expect(a.maintenance.leading()).toBe(false);
      expect(overlaps(a.rounds, b.rounds)).toBe(0);
      expect(tookOver).toBeLessThan(2000 + 2000); // lease-timeout, plus the cut-off's own time
      process.stderr.write(
        `[leader ${kind}] taken over ${Math.round(tookOver)} ms after the cut\n`,
      );
    });
  });
}

describePg('PostgreSQL', () => {
  describeStore(
    'postgres',
    () => freshPgUrl(),
    async (leader) => {
      // A partition of 2.5 s: the leader cannot reach the server (its calls fail), and every
      // connection it has is killed (pg_terminate_backend) as it comes back.
      leader.gate.cut = true;
      const until = performance.now() + 2500;
      while (performance.now() < until) {
        await adminQuery(
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1`,
          [`qt_leader_${leader.name}`],
        );
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      leader.gate.cut = false;
    },
  );
});

describe('SQLite', () => {
  describeStore(
    'sqlite',
    () => join(tempDir(), 'q.db'),
    async (leader) => {
      // SQLite has no network to cut: the leader's store calls fail for 2.5 s instead.
      leader.gate.cut = true;
      setTimeout(() => (leader.gate.cut = false), 2500);
    },
  );
});
