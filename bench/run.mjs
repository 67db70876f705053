#!/usr/bin/env node
/**
 * `npm run bench [-- --quick] [-- --only part[,part]]`: measures queuectl against baselines taken
 * in the same run and prints one table. It reports; it never fails because a target is missed
 * (exit 1 only when a measurement itself crashes). A full run of every part also writes the
 * table to bench/results.md.
 */
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath, URL } from 'node:url';
import { renderTable } from './lib/table.mjs';
import { measureThroughput } from './parts/throughput.mjs';
import { measureIdleWorker } from './parts/idle-worker.mjs';
import { measureBulkEnqueue } from './parts/bulk-enqueue.mjs';
import { measureStartup } from './parts/startup.mjs';
import { measureScale } from './parts/scale.mjs';
import { measurePostgres } from './parts/postgres.mjs';
import { measureRetention } from './parts/retention.mjs';
import { measureScaling } from './parts/scaling.mjs';
import { measureClaimBacklog } from './parts/claim-backlog.mjs';

const PARTS = {
  throughput: measureThroughput,
  latency: measureIdleWorker,
  bulk: measureBulkEnqueue,
  startup: measureStartup,
  scale: measureScale,
  postgres: measurePostgres,
  retention: measureRetention,
  scaling: measureScaling,
  'claim-backlog': measureClaimBacklog,
};
const RESULTS = fileURLToPath(new URL('./results.md', import.meta.url));

function usage() {
  return `usage: npm run bench -- [--quick] [--only ${Object.keys(PARTS).join(',')}]
  --quick   smaller sizes and fewer samples (about three minutes; what CI runs)
  --only    run only these parts (comma-separated)
  parts: throughput (2 workers vs a Node loop and xargs -P2), latency (idle worker: wake-up,
         idle CPU, RSS), bulk (enqueue --file), startup (enqueue vs node -e), scale (1M jobs),
         retention (database and log sizes plateau under a short retention; clean's pace),
         scaling (--count 1|2|4 × --concurrency 1|4|16 vs xargs -P<slots>, RSS per worker),
         claim-backlog (a claim behind 100,000 jobs not yet due vs none, SQLite and PostgreSQL)`;
}

function parseArgs(argv) {
  const options = { quick: false, only: Object.keys(PARTS) };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--quick') options.quick = true;
    else if (arg === '--only' || arg.startsWith('--only=')) {
      const value = arg === '--only' ? argv[++i] : arg.slice('--only='.length);
      options.only = (value ?? '').split(',').filter(Boolean);
      const unknown = options.only.filter((part) => !(part in PARTS));
      if (unknown.length || options.only.length === 0)
        throw new Error(`unknown part: ${unknown.join(', ') || '(none)'}`);
    } else if (arg === '--help' || arg === '-h') {
      process.stdout.write(`${usage()}\n`);
      process.exit(0);
    } else throw new Error(`unknown option ${arg}`);
  }
  return options;
}

/** Writes results.md formatted as the repository's prettier would (so `prettier --check` passes). */
async function writeResults(text) {
  let formatted = text;
  try {
    const prettier = await import('prettier');
    formatted = await prettier.format(text, { parser: 'markdown', filepath: RESULTS });
  } catch {
    // prettier is a devDependency; without it the file is still valid Markdown.
  }
  writeFileSync(RESULTS, formatted);
}

async function main() {
  let options;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`bench: ${error.message}\n${usage()}\n`);
    return 2;
  }
  const log = (message) => process.stderr.write(`· ${message}\n`);
  const rows = [];
  const details = [];
  let crashed = false;
  const started = Date.now();
  for (const part of options.only) {
    const partStarted = Date.now();
    try {
      const result = await PARTS[part]({ quick: options.quick, log });
      rows.push(...(Array.isArray(result) ? result : result.rows));
      if (!Array.isArray(result)) details.push(...result.details);
      log(`${part}: ${Math.round((Date.now() - partStarted) / 1000)} s`);
    } catch (error) {
      crashed = true;
      process.stderr.write(`bench: ${part} crashed: ${error.stack ?? error}\n`);
      rows.push({
        figure: part,
        result: `crashed: ${error.message}`,
        baseline: '-',
        ratio: null,
        target: '-',
        met: false,
      });
    }
  }
  const table = renderTable(rows);
  process.stdout.write(`\n${table}\n`);
  // What a part measured beyond its rows (the scaling curve, query plans): printed by every run,
  // written to bench/results.md by a full one.
  if (details.length > 0) process.stdout.write(`\n${details.join('\n')}\n`);
  const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
  process.stderr.write(`(${command}: ${Math.round((Date.now() - started) / 1000)} s)\n`);
  const fullRun = !options.quick && options.only.length === Object.keys(PARTS).length;
  if (fullRun && !crashed) {
    const machine = `${cpus().length} cores (${cpus()[0]?.model.trim() ?? 'unknown'}), Node ${process.version}, load average ${loadavg()
      .map((n) => n.toFixed(2))
      .join(' ')} at the start of writing`;
    await writeResults(
      [
        '# queuectl benchmark: latest full run',
        '',
        `Produced by \`${command}\` on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC; ${machine}.`,
        'Baselines are measured in the same run; ratios are what count on a shared, noisy machine.',
        '',
        table,
        '',
        ...details,
        '',
      ].join('\n'),
    );
    process.stderr.write(`wrote ${RESULTS}\n`);
  }
  return crashed ? 1 : 0;
}

main().then((code) => {
  process.exitCode = code;
});
