import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';

/** One fenced ```sh / ```bash block of a Markdown file, with what the file says about it. */
export interface DocBlock {
  /** `docs/cli.md:42` (the line of the opening fence). */
  readonly where: string;
  readonly script: string;
  /** The reason of a `<!-- docs-test: skip (reason) -->` line right before the block. */
  readonly skip?: string;
  /**
   * The lines of an ```output block right after it: each must appear in what the block printed,
   * `…` standing for any text (a token, an id).
   */
  readonly expected: readonly string[];
}

const SHELL_FENCE = /^```(?:sh|bash)\s*$/;
const SKIP_MARK = /^<!--\s*docs-test:\s*skip\s*\((.+)\)\s*-->\s*$/;

function previousText(lines: readonly string[], index: number): string {
  for (let i = index - 1; i >= 0; i--) if (lines[i]!.trim() !== '') return lines[i]!.trim();
  return '';
}

/** The ```output block after the closing fence at `end`, if only blank lines separate them. */
function outputAfter(lines: readonly string[], end: number): string[] {
  let i = end + 1;
  while (i < lines.length && lines[i]!.trim() === '') i++;
  if (lines[i]?.trim() !== '```output') return [];
  const out: string[] = [];
  for (i++; i < lines.length && !lines[i]!.startsWith('```'); i++)
    if (lines[i]!.trim() !== '') out.push(lines[i]!.trim());
  return out;
}

/** An expected output line as a pattern: `…` stands for any text. */
export function outputPattern(line: string): RegExp {
  return new RegExp(
    line
      .split('…')
      .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*'),
  );
}

/** The shell blocks of one Markdown text, in order. */
export function shellBlocks(text: string, file: string): DocBlock[] {
  const lines = text.split('\n');
  const blocks: DocBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!SHELL_FENCE.test(lines[i]!)) continue;
    let end = i + 1;
    while (end < lines.length && !lines[end]!.startsWith('```')) end++;
    const skip = SKIP_MARK.exec(previousText(lines, i))?.[1];
    blocks.push({
      where: `${file}:${i + 1}`,
      script: lines.slice(i + 1, end).join('\n'),
      ...(skip === undefined ? {} : { skip }),
      expected: outputAfter(lines, end),
    });
    i = end;
  }
  return blocks;
}

/** README.md and every Markdown file under docs/, relative to `root`. */
export async function markdownFiles(root: string): Promise<string[]> {
  const found = ['README.md'];
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.name.endsWith('.md')) found.push(relative(root, path));
    }
  };
  await walk(join(root, 'docs'));
  return found.sort();
}

export async function fileBlocks(root: string, file: string): Promise<DocBlock[]> {
  return shellBlocks(await readFile(join(root, file), 'utf8'), file);
}
