import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SYNOPSES } from '../../src/cli/usage.js';

/** The first cell of each row of README.md's CLI table, without its backticks. */
function readmeCommands(): string[] {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const section = readme.split('\n## CLI\n')[1]?.split('\n## ')[0] ?? '';
  return [...section.matchAll(/^\| `([^`]+)` \|/gm)].map((match) => match[1] ?? '');
}

/** `deploy record` of `deploy record <model> …`: the words that name the command. */
const commandWords = (synopsis: string): string => synopsis.split(/ [<[-]/)[0] ?? synopsis;
const options = (synopsis: string): string[] => [...synopsis.matchAll(/--[a-z-]+/g)].map((m) => m[0]).sort();

describe("README.md's CLI table", () => {
  const rows = readmeCommands();

  it('has a row for each command of `rollbot help`, naming the same options', () => {
    expect(rows.length).toBe(SYNOPSES.length);
    for (const synopsis of SYNOPSES) {
      const words = commandWords(synopsis);
      const row = rows.find((cell) => commandWords(cell) === words);
      expect(row, `a README row for "${words}"`).toBeDefined();
      expect(options(row ?? ''), words).toEqual(options(synopsis));
    }
  });
});
