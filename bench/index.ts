// `npm run bench [-- --json] [-- --only NAME]`: runs every bench/*-bench.ts and prints figures against a same-run baseline.
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** What each bench/*-bench.ts module exports. */
export type Benchmark = {
  /** Key in the --json object, e.g. "ingest". */
  readonly name: string;
  /** Runs the benchmark, printing human lines through `log`; returns the figures for --json. */
  readonly run: (log: (line: string) => void) => Promise<Record<string, unknown>>;
};

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const json = args.includes('--json');
  const onlyAt = args.indexOf('--only');
  const only = onlyAt >= 0 ? args[onlyAt + 1] : undefined;
  const dir = dirname(fileURLToPath(import.meta.url));
  const files = readdirSync(dir).filter((f) => f.endsWith('-bench.js')).sort();
  const out: Record<string, unknown> = {};
  const log = json ? (line: string) => process.stderr.write(line + '\n') : (line: string) => process.stdout.write(line + '\n');
  for (const file of files) {
    const mod = (await import(pathToFileURL(join(dir, file)).href)) as { benchmark: Benchmark };
    if (only && mod.benchmark.name !== only) continue;
    log(`== ${mod.benchmark.name}`);
    out[mod.benchmark.name] = await mod.benchmark.run(log);
  }
  if (json) process.stdout.write(JSON.stringify(out) + '\n');
}

await main();
