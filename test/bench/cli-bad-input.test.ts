import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ctxbenchInProcess, type CliRun } from './in-process-cli.js';

const example = new URL('../../datasets/data/openai-jsonl/example.jsonl', import.meta.url).pathname;
// In process (the CLI's own main): every check here is of what the CLI refuses and prints, not of start-up.
const ctxbench = (args: string[], cwd?: string) => ctxbenchInProcess(args, cwd ? { cwd } : {});
const temp = () => mkdtempSync(join(tmpdir(), 'ctxbench-bad-'));
/** A run that never replayed: exit 2, no progress line, nothing written. */
const refusedBeforeReplay = (run: CliRun, out?: string) => {
  expect(run.status).toBe(2);
  expect(run.stderr).not.toContain('progress:');
  if (out) expect(existsSync(join(out, 'result.json'))).toBe(false);
};

describe('plug-in options are validated where they enter', () => {
  it('refuses a dataset option typo with a did-you-mean instead of replaying the bundled sample', async () => {
    const out = temp();
    const run = await ctxbench(['run', '-d', 'openai-jsonl:fiel=logs.jsonl', '-s', 'naive', '-o', out]);
    refusedBeforeReplay(run, out);
    expect(run.stderr).toMatch(/dataset "openai-jsonl": unknown option "fiel"[\s\S]*did you mean "file"\? available: file, lenient, limit/);
  });

  it('refuses a typo in a config file dataset entry (beir "dir")', async () => {
    const dir = temp();
    writeFileSync(join(dir, 'ctxbench.config.json'), JSON.stringify({ datasets: [{ name: 'beir', options: { dir: 'corpus/' } }], strategies: ['naive'] }));
    const run = await ctxbench(['run', '-o', join(dir, 'out')], dir);
    refusedBeforeReplay(run);
    expect(run.stderr).toMatch(/dataset "beir": unknown option "dir"[\s\S]*available: corpus, queries, qrels, lenient, limit/);
  });

  it('refuses a strategy option typo (maxToken) with a did-you-mean', async () => {
    const run = await ctxbench(['run', '-d', 'abcd', '-s', 'token-buffer:maxToken=50', '-o', temp()]);
    refusedBeforeReplay(run);
    expect(run.stderr).toMatch(/strategy "token-buffer": unknown option "maxToken"[\s\S]*did you mean "maxTokens"/);
  });

  it('refuses a strategy option of the wrong type, naming key, value and fix', async () => {
    const run = await ctxbench(['run', '-d', 'abcd', '-s', 'token-buffer:maxTokens=lots', '-o', temp()]);
    refusedBeforeReplay(run);
    expect(run.stderr).toMatch(/option maxTokens = "lots" is invalid: expected number[\s\S]*fix: set maxTokens to whole number >= 1 \(default 3000, or the dataset's tuned value\)/);
  });

  it('refuses a strategy option out of range', async () => {
    const run = await ctxbench(['run', '-d', 'abcd', '-s', 'rag:maxTokens=-5', '-o', temp()]);
    refusedBeforeReplay(run);
    expect(run.stderr).toMatch(/strategy "rag": option maxTokens = -5 is invalid: must be 1 or more/);
  });

  it('sets a strategy option from the command line', async () => {
    const out = temp();
    const run = await ctxbench(['run', '-d', 'abcd', '--limit', '1', '-s', 'token-buffer:maxTokens=2000', '-c', '1', '-f', 'json', '-o', out]);
    expect(run.status).toBe(0);
    const result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8'));
    expect(result.aggregates[0].budget).toBe(2000);
    expect(result.config.strategyOptions['token-buffer']).toEqual({ maxTokens: 2000 });
  });

  it('lists every option with its type and default', async () => {
    const list = await ctxbench(['list']);
    expect(list.status).toBe(0);
    expect(list.stdout).toContain("maxTokens (whole number >= 1, default: 3000, or the dataset's tuned value)");
    expect(list.stdout).toContain('file (string, default: bundled example.jsonl)');
    expect(list.stdout).toContain('lowConfidence ("top-two" | "fallback", default: top-two)');
  });
});

describe('the result says what was replayed', () => {
  it('records each input file with its content hash and record count, and prints them in every report', async () => {
    const out = temp();
    const log = join(temp(), 'logs.jsonl');
    writeFileSync(log, readFileSync(example));
    const run = await ctxbench(['run', '-d', `openai-jsonl:file=${log}`, '-s', 'naive', '-o', out]);
    expect(run.status).toBe(0);
    const sha256 = createHash('sha256').update(readFileSync(log)).digest('hex');
    const result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8'));
    expect(result.datasets[0].inputs).toEqual([{ option: 'file', path: log, sha256, bytes: readFileSync(log).length, records: 4 }]);
    expect(readFileSync(join(out, 'summary.md'), 'utf8')).toContain(`${log} (file): 4 records`);
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toContain(sha256.slice(0, 12));
    expect(readFileSync(join(out, 'inputs.csv'), 'utf8')).toContain(sha256);
  });
});

describe('everything is validated before replaying', () => {
  it('refuses a dataset named twice', async () => {
    const run = await ctxbench(['run', '-d', 'abcd', 'abcd', '-s', 'naive', '-o', temp()]);
    refusedBeforeReplay(run);
    expect(run.stderr).toContain('dataset "abcd" is selected twice');
  });

  it('refuses a CTXBENCH_MODEL_CACHE that cannot be a directory before replaying', async () => {
    const dir = temp();
    const file = join(dir, 'not-a-dir');
    writeFileSync(file, 'x');
    const out = join(dir, 'out');
    const saved = process.env.CTXBENCH_MODEL_CACHE;
    process.env.CTXBENCH_MODEL_CACHE = file;
    try {
      const run = await ctxbench(['run', '-d', 'abcd', '-s', 'naive', '-o', out]);
      refusedBeforeReplay(run, out);
      expect(run.stderr).toContain(`CTXBENCH_MODEL_CACHE ${file} is a file, not a directory`);
    } finally {
      if (saved === undefined) delete process.env.CTXBENCH_MODEL_CACHE;
      else process.env.CTXBENCH_MODEL_CACHE = saved;
    }
  });

  it('refuses an unknown report format before replaying', async () => {
    const out = temp();
    const run = await ctxbench(['run', '-d', 'abcd', '-s', 'naive', '-f', 'json', 'pdf', '-o', out]);
    refusedBeforeReplay(run, out);
    expect(run.stderr).toContain('unknown report format "pdf"');
  });

  it('refuses an unknown dataset late in -d before replaying the first', async () => {
    const run = await ctxbench(['run', '-d', 'abcd', 'locomoo', '-s', 'naive', '-o', temp()]);
    refusedBeforeReplay(run);
    expect(run.stderr).toMatch(/unknown dataset "locomoo"/);
  });

  it('refuses an output path that is a file, with exit 2 and no stack trace', async () => {
    const file = join(temp(), 'taken');
    writeFileSync(file, 'x');
    const run = await ctxbench(['run', '-d', 'abcd', '-s', 'naive', '-o', file]);
    refusedBeforeReplay(run);
    expect(run.stderr).toContain(`-o ${file} is a file, not a directory`);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('refuses a concurrency beyond the cap', async () => {
    const run = await ctxbench(['run', '-d', 'abcd', '-s', 'naive', '-c', '1e9', '-o', temp()]);
    refusedBeforeReplay(run);
    expect(run.stderr).toMatch(/concurrency 1000000000 is out of range[\s\S]*from 1 to 64/);
  });

  it('refuses an empty log file', async () => {
    const log = join(temp(), 'empty.jsonl');
    writeFileSync(log, '');
    const run = await ctxbench(['run', '-d', `openai-jsonl:file=${log}`, '-s', 'naive', '-o', temp()]);
    refusedBeforeReplay(run);
    expect(run.stderr).toContain(`${log}: file: contents must hold at least one record (option file), but the file is empty`);
  });

  it('refuses a file that is not UTF-8, naming the line', async () => {
    const log = join(temp(), 'latin1.jsonl');
    const line = readFileSync(example, 'utf8').split('\n')[0]!;
    writeFileSync(log, Buffer.concat([Buffer.from(`${line}\n`), Buffer.from(line.replace('Northwind', 'Caf\u00e9'), 'latin1')]));
    const run = await ctxbench(['run', '-d', `openai-jsonl:file=${log}`, '-s', 'naive', '-o', temp()]);
    refusedBeforeReplay(run);
    expect(run.stderr).toMatch(/latin1.jsonl: line 2: bytes must be UTF-8 \(1 invalid byte sequence/);
  });

  it('counts invalid UTF-8 in lenient mode and records the count', async () => {
    const log = join(temp(), 'latin1.jsonl');
    const line = readFileSync(example, 'utf8').split('\n')[0]!;
    writeFileSync(log, Buffer.from(line.replace('Northwind', 'Caf\u00e9'), 'latin1'));
    const out = temp();
    const run = await ctxbench(['run', '-d', `openai-jsonl:file=${log},lenient=true`, '-s', 'naive', '-f', 'json', 'md', '-o', out]);
    expect(run.status).toBe(0);
    expect(JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')).datasets[0].inputs[0].invalidUtf8).toBe(1);
    expect(readFileSync(join(out, 'summary.md'), 'utf8')).toContain('1 invalid UTF-8 sequences read as U+FFFD');
  });

  it('names the real lenient dataset option in the hint of a malformed record', async () => {
    const log = join(temp(), 'bad.jsonl');
    writeFileSync(log, '{"messages": 3}\n');
    const run = await ctxbench(['run', '-d', `openai-jsonl:file=${log}`, '-s', 'naive', '-o', temp()]);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('set the dataset option lenient to true');
    expect(run.stderr).not.toContain('--lenient');
  });
});

describe('outputs', () => {
  it('removes temporaries of a killed write and report files of an earlier run', async () => {
    const out = temp();
    // An earlier run that wrote every format, then a write killed half-way.
    expect((await ctxbench(['run', '-d', 'abcd', '--limit', '1', '-s', 'naive', '-c', '1', '-o', out])).status).toBe(0);
    expect(existsSync(join(out, 'report.html'))).toBe(true);
    writeFileSync(join(out, 'result.json.tmp-99999'), '{"half": ');
    const run = await ctxbench(['run', '-d', 'abcd', '--limit', '1', '-s', 'naive', '-c', '1', '-f', 'json', 'md', '-o', out]);
    expect(run.status).toBe(0);
    expect(existsSync(join(out, 'result.json.tmp-99999'))).toBe(false);
    expect(existsSync(join(out, 'report.html'))).toBe(false);
    expect(existsSync(join(out, 'summary.md'))).toBe(true);
  });
});

describe('check and config', () => {
  it('refuses a --junit path under a file before checking', async () => {
    const dir = temp();
    writeFileSync(join(dir, 'file'), 'x');
    const check = await ctxbench(['check', 'bench/baseline/quick.json', '--junit', join(dir, 'file', 'gates.xml')]);
    expect(check.status).toBe(2);
    expect(check.stderr).toMatch(/--junit .*gates.xml: .*file is a file, so the file cannot be created under it/);
  });

  it('refuses a baseline with no aggregates instead of passing with zero gates', async () => {
    const dir = temp();
    expect((await ctxbench(['run', '-d', 'abcd', '--limit', '1', '-s', 'naive', '-c', '1', '-f', 'json', '-o', dir])).status).toBe(0);
    const result = JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8'));
    writeFileSync(join(dir, 'empty.json'), JSON.stringify({ ...result, aggregates: [], mission: [], turns: [] }));
    const check = await ctxbench(['check', join(dir, 'result.json'), '--baseline', join(dir, 'empty.json')]);
    expect(check.status).toBe(2);
    expect(check.stderr).toContain('the baseline has no aggregates');
  });

  it('says what to export when a .mjs config has no default export', async () => {
    const dir = temp();
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'ctxbench.config.mjs'), 'export const config = { model: "gpt-4o" };\n');
    const run = await ctxbench(['run', '-o', join(dir, 'out')], dir);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/has no default export \(it exports config\)[\s\S]*export default defineConfig/);
  });

  it('refuses to merge shards run with different --limit, naming it', async () => {
    const shards: string[] = [];
    for (const [shard, limit] of [['1/2', '1'], ['2/2', '2']]) {
      const dir = temp();
      expect((await ctxbench(['run', '-d', 'abcd', '-s', 'naive', '--limit', limit!, '--shard', shard!, '-c', '1', '-f', 'json', '-o', dir])).status).toBe(0);
      shards.push(join(dir, 'result.json'));
    }
    const [a, b] = shards;
    const merge = await ctxbench(['merge', a!, b!, '-o', temp()]);
    expect(merge.status).toBe(2);
    expect(merge.stderr).toContain(`${b} differs from ${a} in config.datasetOptions.abcd.limit: 1 vs 2`);
  });
});

describe('documentation', () => {
  it('has a README row for every option of every loader and strategy, with its type and default', async () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const { datasets } = await import('../../datasets/index.js');
    const { strategies } = await import('../../strategies/index.js');
    const { optionRows } = await import('../../bench/list.js');
    for (const row of [...optionRows(datasets.list()), ...optionRows(strategies.list())]) expect(readme).toContain(row);
  });
});
