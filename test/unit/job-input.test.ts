import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { specsFromArgument, specsFromStream } from '../../src/core/job-input.js';

async function read(text: string | Buffer) {
  const out = [];
  for await (const spec of specsFromStream(Readable.from([Buffer.from(text)]))) out.push(spec);
  return out;
}

describe('job input', () => {
  it('reads one object per line and names each line', async () => {
    expect(await read('{"command":"a"}\n\n{"command":"b"}\n')).toEqual([
      { value: { command: 'a' }, where: 'line 1' },
      { value: { command: 'b' }, where: 'line 3' },
    ]);
  });

  it('reads an array, and a pretty-printed object spread over lines', async () => {
    expect((await read('[{"command":"a"},\n{"command":"b"}]')).map((s) => s.where)).toEqual([
      'item 1',
      'item 2',
    ]);
    expect(await read('{\n  "command": "a"\n}\n')).toEqual([
      { value: { command: 'a' }, where: 'job' },
    ]);
  });

  it('names the line holding invalid JSON or invalid UTF-8', async () => {
    await expect(read('{"command":"a"}\n{"command":\n')).rejects.toThrow(/line 2: invalid JSON/);
    const bad = Buffer.concat([
      Buffer.from('{"command":"a"}\n{"command":"'),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('"}\n'),
    ]);
    await expect(read(bad)).rejects.toThrow(/line 2: the input is not valid UTF-8/);
  });

  it('refuses empty input', async () => {
    await expect(read('\n  \n')).rejects.toThrow(/holds no jobs/);
    expect(() => [...specsFromArgument('[]')]).toThrow(/empty/);
  });
});
