import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip } from 'node:zlib';
import { ArchiveError, MAX_LINE_BYTES } from './archive-format.js';

/**
 * The lines of a gzip'd archive file, one at a time. A line longer than MAX_LINE_BYTES is
 * refused, so a damaged or hostile file cannot make the reader buffer without limit.
 */
export async function* archiveLines(file: string): AsyncGenerator<string> {
  // pipeline (not pipe) hands a read error such as ENOENT on to the gunzip stream being iterated.
  const gunzip = pipeline(createReadStream(file), createGunzip(), () => undefined);
  const decoder = new StringDecoder('utf8');
  let partial = '';
  try {
    for await (const chunk of gunzip) {
      const parts = (partial + decoder.write(chunk as Buffer)).split('\n');
      partial = parts.pop() ?? '';
      if (partial.length > MAX_LINE_BYTES)
        throw new ArchiveError(`a line is longer than ${MAX_LINE_BYTES} bytes`);
      yield* parts;
    }
  } catch (err) {
    if (err instanceof ArchiveError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EACCES')
      throw new ArchiveError(`cannot read ${file}: ${code}`, { cause: err });
    throw new ArchiveError(`${file} is not a readable gzip archive (${(err as Error).message})`, {
      cause: err,
    });
  } finally {
    gunzip.destroy();
  }
  partial += decoder.end();
  if (partial !== '') yield partial;
}
