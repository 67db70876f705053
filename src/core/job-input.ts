/**
 * Reads job specs from text: one JSON object, a JSON array, or one object per line (NDJSON).
 * NDJSON is streamed line by line in bounded memory; a single document (object or array spread
 * over lines) is read whole, up to DOCUMENT_LIMIT bytes.
 */
import type { Readable } from 'node:stream';
import { ValidationError } from './errors.js';

export const LINE_LIMIT = 1024 * 1024;
export const DOCUMENT_LIMIT = 64 * 1024 * 1024;

/** One parsed value and where it came from, for error messages ("line 12", "item 3"). */
export interface SpecSource {
  value: unknown;
  where: string;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decode(bytes: Uint8Array, where: string): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new ValidationError(`${where}: the input is not valid UTF-8`);
  }
}

function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const detail = (error as Error).message.replace(/^JSON\.parse: /, '');
    throw new ValidationError(
      `${where}: invalid JSON (${detail}); a job looks like {"command":"echo hi"}`,
    );
  }
}

/**
 * Refuses command-line text that was not valid UTF-8. Node decodes argv before we see it and
 * turns undecodable bytes into U+FFFD, so that character is the only trace left. (A JSON
 * argument may still spell it as the escape \ufffd.)
 */
export function checkArgumentText(text: string, what: string): string {
  if (text.includes('\ufffd')) {
    throw new ValidationError(
      `${what} is not valid UTF-8 (it holds U+FFFD, which replaces undecodable bytes); use --file to pass exact bytes`,
    );
  }
  return text;
}

/** Parses the JSON given on the command line: one object or an array of them. */
export function* specsFromArgument(text: string): Generator<SpecSource> {
  checkArgumentText(text, 'the JSON argument');
  if (Buffer.byteLength(text) > DOCUMENT_LIMIT) {
    throw new ValidationError(`the job JSON is larger than ${DOCUMENT_LIMIT} bytes`);
  }
  yield* fromDocument(parseJson(text, 'argument'));
}

function* fromDocument(value: unknown): Generator<SpecSource> {
  if (Array.isArray(value)) {
    if (value.length === 0) throw new ValidationError('the array of jobs is empty');
    for (let i = 0; i < value.length; i++) yield { value: value[i], where: `item ${i + 1}` };
  } else {
    yield { value, where: 'job' };
  }
}

async function* lines(input: Readable): AsyncGenerator<{ bytes: Buffer; number: number }> {
  let pending: Buffer[] = [];
  let pendingLength = 0;
  let number = 0;
  for await (const chunk of input as AsyncIterable<Buffer>) {
    let start = 0;
    for (let nl = chunk.indexOf(10); nl !== -1; nl = chunk.indexOf(10, start)) {
      const piece = chunk.subarray(start, nl);
      const bytes = pendingLength ? Buffer.concat([...pending, piece]) : piece;
      pending = [];
      pendingLength = 0;
      yield { bytes, number: ++number };
      start = nl + 1;
    }
    if (start < chunk.length) {
      pending.push(chunk.subarray(start));
      pendingLength += chunk.length - start;
      if (pendingLength > DOCUMENT_LIMIT) {
        throw new ValidationError(`line ${number + 1} is longer than ${DOCUMENT_LIMIT} bytes`);
      }
    }
  }
  if (pendingLength) yield { bytes: Buffer.concat(pending), number: ++number };
}

/** Streams specs from a file or stdin in any of the three accepted shapes. */
export async function* specsFromStream(input: Readable): AsyncGenerator<SpecSource> {
  const iterator = lines(input);
  let first: { bytes: Buffer; number: number } | undefined;
  for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
    const { bytes, number } = next.value;
    const where = `line ${number}`;
    if (first === undefined) {
      if (bytes.toString('latin1').trim() === '') continue;
      first = next.value;
      let value: unknown;
      try {
        value = JSON.parse(decode(bytes, where));
      } catch (error) {
        if (error instanceof ValidationError) throw error;
        // Not a complete value on its own line: a pretty-printed document, read whole.
        yield* fromDocument(await readRest(bytes, iterator));
        return;
      }
      if (Array.isArray(value)) {
        yield* fromDocument(value);
        continue;
      }
      yield { value, where };
      continue;
    }
    if (bytes.length > LINE_LIMIT)
      throw new ValidationError(`${where} is longer than ${LINE_LIMIT} bytes`);
    const text = decode(bytes, where);
    if (text.trim() === '') continue;
    yield { value: parseJson(text, where), where };
  }
  if (first === undefined) throw new ValidationError('the input holds no jobs');
}

async function readRest(
  firstLine: Buffer,
  iterator: AsyncGenerator<{ bytes: Buffer; number: number }>,
): Promise<unknown> {
  const parts = [firstLine];
  let size = firstLine.length;
  for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
    parts.push(Buffer.from('\n'), next.value.bytes);
    size += next.value.bytes.length + 1;
    if (size > DOCUMENT_LIMIT) {
      throw new ValidationError(
        `the input is larger than ${DOCUMENT_LIMIT} bytes; write one job per line (NDJSON) for large batches`,
      );
    }
  }
  return parseJson(decode(Buffer.concat(parts), 'input'), 'input');
}
