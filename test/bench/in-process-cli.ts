import { main } from '../../bench/cli.js';

/** What a command line run printed and its exit code, as spawnSync reports them. */
export interface CliRun {
  status: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `ctxbench <args>` in this process (the CLI's own `main`, as bin/ctxbench.js calls it) with
 * `cwd` as the working directory and `env` added to the environment, capturing what it writes.
 * A spawned CLI costs a second of start-up; this costs none. One run at a time: it swaps the
 * process's output streams, working directory and environment, and restores them.
 */
export async function ctxbenchInProcess(args: readonly string[], options: { cwd?: string; env?: Record<string, string | undefined> } = {}): Promise<CliRun> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const writes = { out: process.stdout.write, err: process.stderr.write };
  const capture = (into: string[]) =>
    ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      into.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      const callback = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined;
      callback?.();
      return true;
    }) as typeof process.stdout.write;
  const env = { CI: 'true', ...options.env };
  const savedEnv = Object.fromEntries(Object.keys(env).map((key) => [key, process.env[key]]));
  const cwd = process.cwd();
  process.stdout.write = capture(stdout);
  process.stderr.write = capture(stderr);
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  try {
    if (options.cwd) process.chdir(options.cwd);
    const status = await main(['node', 'ctxbench', ...args]);
    return { status, stdout: stdout.join(''), stderr: stderr.join('') };
  } finally {
    process.chdir(cwd);
    process.stdout.write = writes.out;
    process.stderr.write = writes.err;
    for (const [key, value] of Object.entries(savedEnv)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
}
