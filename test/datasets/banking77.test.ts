import { readFileSync, realpathSync, symlinkSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../core/index.js';
import { banking77 } from '../../datasets/banking77.js';
import { expectDataError, fixtureDir } from './fixtures.js';

const fixtures = fixtureDir('banking77');
let written = 0;
const csv = (content: string) => fixtures.write(`queries-${++written}.csv`, content);
/** A training CSV of two intents that shares no row with the replayed fixtures. */
const training = () => csv('text,category\nMy card got stolen yesterday,lost_or_stolen_card\nHas my new card been sent?,card_arrival\n');
/** The bundled train.csv without its first `rows` rows: trains the router on all 77 intents while those rows are replayed. */
const bundledWithout = (rows: number) => {
  const [header, ...lines] = readFileSync(banking77.defaults().file, 'utf8').split('\n');
  return csv([header, ...lines.slice(rows)].join('\n'));
};

describe('banking77 loader on the bundled data', () => {
  it('replays every fifth row and trains the router on the other four fifths', async () => {
    const loaded = await banking77.load(banking77.defaults());
    expect(loaded.name).toBe('banking77');
    expect(loaded.episodes).toHaveLength(2000);
    expect(loaded.skipped).toEqual([]);
    expect(new Set(loaded.episodes.map((e) => (e.turns[0]!.probes[0] as { expected: string }).expected)).size).toBe(77);
    const profile = loaded.episodes[0]!.intentProfile!;
    expect(profile.intents).toHaveLength(77);
    expect(profile.intents.reduce((sum, intent) => sum + intent.examples.length, 0)).toBe(8003);
    const replayed = new Set(loaded.episodes.map((e) => e.turns[0]!.query));
    expect(profile.intents.flatMap((intent) => intent.examples).filter((text) => replayed.has(text)).length).toBeLessThan(20);
    expect(loaded.episodes.every((e) => e.intentProfile === profile)).toBe(true);
  });

  it('replays every row of a file when another file trains the router', async () => {
    const loaded = await banking77.load({ ...banking77.defaults(), trainFile: bundledWithout(3), limit: 3 });
    expect(loaded.episodes.map((e) => e.id)).toEqual(['banking77:1', 'banking77:2', 'banking77:3']);
    expect(loaded.episodes[0]!.intentProfile!.intents).toHaveLength(77);
  });

  it('refuses the replayed file as the training file: every replayed query would train the router', async () => {
    const error = await banking77.load({ ...banking77.defaults(), trainFile: banking77.defaults().file, limit: 200 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toContain(`banking77: ${banking77.defaults().file} is both replayed (file) and trains the router (trainFile)`);
    expect((error as ConfigError).hint).toMatch(/^the router must never learn from the queries it is scored on: pass a training CSV of another split as trainFile, or leave trainFile out/);
  });

  it('refuses the replayed file named by another path: relative, or through a symbolic link', async () => {
    const file = csv('text,category\nI lost my card,lost_or_stolen_card\nWhere is my card?,card_arrival\n');
    const link = join(fixtures.dir, `link-${++written}.csv`);
    symlinkSync(file, link);
    await expect(banking77.load({ file, trainFile: link })).rejects.toThrow(`banking77: trainFile ${link} is the replayed file ${file} (both are ${realpathSync(file)}), so every replayed query also trains the router`);
    await expect(banking77.load({ file, trainFile: relative(process.cwd(), file) })).rejects.toThrow(ConfigError);
  });

  it('refuses a training file with the same bytes as the replayed one under another name', async () => {
    const content = 'text,category\nI lost my card,lost_or_stolen_card\nWhere is my card?,card_arrival\n';
    const [file, copy] = [csv(content), csv(content)];
    const error = await banking77.load({ file, trainFile: copy }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toMatch(new RegExp(`trainFile ${copy} holds the same bytes as file ${file} \\(sha256 [0-9a-f]{12}\\), so every replayed query also trains the router`));
  });

  it('rejects a holdout below 2', async () => {
    await expect(banking77.load({ ...banking77.defaults(), holdout: 1 })).rejects.toThrow(/option holdout = 1 is invalid: must be 2 or more/);
  });

  it('turns a row into a query with its intent as the probe', async () => {
    const [episode] = (await banking77.load({ ...banking77.defaults(), trainFile: bundledWithout(1), limit: 1 })).episodes;
    expect(episode).toMatchObject({
      id: 'banking77:1',
      dataset: 'banking77',
      userId: 'banking77-user-1',
      messages: [],
      knowledge: [],
      turns: [{ at: 0, query: 'I am still waiting on my card?', probes: [{ kind: 'intent', expected: 'card_arrival' }] }],
    });
    expect(episode!.systemPrompt).toMatch(/bank/i);
  });
});

describe('banking77 loader on other CSV files', () => {
  it('reads quoted fields with commas, quotes and line breaks', async () => {
    const file = csv('text,category\n"Hi, my card ""broke""\nplease help",card_not_working\nWhere is my money?,transfer_not_received_by_recipient\n');
    const loaded = await banking77.load({ file, trainFile: training() });
    expect(loaded.episodes.map((e) => e.turns[0]!.query)).toEqual(['Hi, my card "broke"\nplease help', 'Where is my money?']);
  });

  it('accepts the two columns in either order', async () => {
    const file = csv('category,text\nlost_or_stolen_card,I lost my card\n');
    const [episode] = (await banking77.load({ file, trainFile: training() })).episodes;
    expect(episode!.turns[0]).toEqual({ at: 0, query: 'I lost my card', probes: [{ kind: 'intent', expected: 'lost_or_stolen_card' }] });
  });

  it('keeps the first N rows under limit', async () => {
    const file = csv('text,category\na query,a\nb query,b\nc query,c\n');
    expect((await banking77.load({ file, trainFile: training(), limit: 2 })).episodes.map((e) => e.id)).toEqual(['banking77:1', 'banking77:2']);
  });

  it('rejects a limit that is not a whole number', async () => {
    await expect(banking77.load({ file: csv('text,category\n'), limit: -1 })).rejects.toThrow(ConfigError);
  });
});

describe('banking77 loader on malformed input', () => {
  it('names a file that cannot be read', async () => {
    const file = '/nonexistent/ctxbench/banking.csv';
    await expectDataError(banking77.load({ file }), { file, record: 'file', field: 'path' });
  });

  it('names a missing header column, with the header found and the one expected', async () => {
    const file = csv('text\nI lost my card\n');
    const error = await expectDataError(banking77.load({ file }), { file, record: 'header', field: 'columns' });
    expect(error.message).toContain('must be exactly "text,category" (in either order), got string "text"');
  });

  it('names an extra header column', async () => {
    const file = csv('text,category,split\nI lost my card,lost_or_stolen_card,train\n');
    const error = await expectDataError(banking77.load({ file }), { file, record: 'header', field: 'columns' });
    expect(error.message).toContain('"text,category,split"');
  });

  it('names an empty file', async () => {
    const file = csv('');
    await expectDataError(banking77.load({ file }), { file, record: 'header', field: 'columns' });
  });

  it('names a row with an empty text', async () => {
    const file = csv('text,category\nI lost my card,lost_or_stolen_card\n  ,card_arrival\n');
    await expectDataError(banking77.load({ file }), { file, record: 'row 2 (line 3)', field: 'text' });
  });

  it('names a row with an empty category', async () => {
    const file = csv('text,category\nI lost my card,\n');
    await expectDataError(banking77.load({ file }), { file, record: 'row 1 (line 2)', field: 'category' });
  });

  it('names a row with the wrong number of columns', async () => {
    const file = csv('text,category\nI lost my card,lost_or_stolen_card,extra\n');
    await expectDataError(banking77.load({ file }), { file, record: 'row 1 (line 2)', field: 'columns' });
  });

  it('names the line where the CSV cannot be parsed', async () => {
    const file = csv('text,category\n"I lost my card,lost_or_stolen_card\n');
    const error = await expectDataError(banking77.load({ file }), { file, record: 'line 2', field: 'contents' });
    expect(error.message).toContain('must be valid CSV');
  });
});

describe('banking77 loader in lenient mode', () => {
  it('skips malformed rows and lists each with its reason', async () => {
    const file = csv('text,category\nI lost my card,lost_or_stolen_card\n,card_arrival\nToo,many,columns\nWhere is my card?,card_arrival\n');
    const loaded = await banking77.load({ file, trainFile: training(), lenient: true });
    expect(loaded.episodes.map((e) => e.id)).toEqual(['banking77:1', 'banking77:4']);
    expect(loaded.skipped).toEqual([
      { file, record: 'row 2 (line 3)', reason: 'text must be a non-empty string, got string ""' },
      { file, record: 'row 3 (line 4)', reason: 'columns must be 2 (text, category), got number 3' },
    ]);
  });
});
