import { Command } from 'commander';
import { readFileSync } from 'node:fs';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

/** The `ctxbench` command line; `argv` is injectable for tests. */
export function buildCli(): Command {
  const program = new Command('ctxbench').description('Context engineering benchmarks for customer-service LLM agents').version(version);
  program
    .command('demo')
    .description('assemble one budgeted context from a recorded tau-bench conversation and print its sections')
    .action(async () => {
      await import('./demo.js');
    });
  return program;
}

await buildCli().parseAsync(process.argv);
