/** Start-up: `queuectl enqueue '<json>'` wall time against `node -e ''`, medians, interleaved. */
import { fmt, median, ratio } from '../lib/measure.mjs';
import { CLI, cliEnv, run } from '../lib/processes.mjs';
import { tempPlace } from '../lib/fixtures.mjs';

export async function measureStartup({ quick, log }) {
  const rounds = quick ? 7 : 21;
  const place = tempPlace('startup');
  try {
    const env = cliEnv(place.dir);
    const node = [];
    const enqueue = [];
    log(`start-up: ${rounds} rounds`);
    for (let i = -1; i < rounds; i++) {
      const bare = await run(process.execPath, ['-e', ''], { env });
      const cli = await run(
        process.execPath,
        [CLI, 'enqueue', '{"command":"true"}', '--db', place.db],
        { env },
      );
      if (cli.code !== 0) throw new Error(`enqueue exited ${cli.code}: ${cli.stderr}`);
      if (i < 0) continue; // the first round warms the file cache and creates the database
      node.push(bare.ms);
      enqueue.push(cli.ms);
    }
    const cliMs = median(enqueue);
    const nodeMs = median(node);
    const r = ratio(cliMs, nodeMs);
    return [
      {
        figure: "Start-up: `queuectl enqueue '<json>'` wall time (median)",
        result: fmt(cliMs, 'ms'),
        baseline: `${fmt(nodeMs, 'ms')} (\`node -e ''\`)`,
        ratio: r,
        target: '≤ 1.5×',
        met: r <= 1.5,
      },
    ];
  } finally {
    place.cleanup();
  }
}
