// `tensorfold bench`: runs the benchmark suites shipped in bench/ (peers
// measured in the same run) and writes reports.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { TensorfoldError } from '../errors';
import { packageRoot } from '../native';

export function benchCommand(): Command {
  return new Command('bench')
    .description('benchmark tensorfold against onnxruntime-node / NumPy where installed (suites: gemm, nm, einsum, ...)')
    .argument('[suites...]', 'suites to run (default: all)')
    .option('--threads <list>', 'thread counts, e.g. 1,2')
    .option('--quick', 'fewer rounds')
    .option('--report <dir>', 'write report.md and report.html there')
    .action(async (suites: string[], o: { threads?: string; quick?: boolean; report?: string }) => {
      const runner = join(packageRoot, 'bench', 'run.mjs');
      if (!existsSync(runner)) throw new TensorfoldError('BENCH_MISSING', `the benchmark suites are not installed (${runner})`);
      const args = [runner, ...suites];
      if (o.threads) args.push('--threads', o.threads);
      if (o.quick) args.push('--quick');
      if (o.report) args.push('--report', o.report);
      const code = await new Promise<number>((resolve) => spawn(process.execPath, args, { stdio: 'inherit' }).on('exit', (c) => resolve(c ?? 1)));
      if (code !== 0) process.exitCode = code;
    });
}
