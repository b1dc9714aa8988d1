import { Command } from 'commander';
import { info } from '../runtime';

export function formatInfo(i: ReturnType<typeof info>): string {
  const on = Object.entries(i.cpu.features)
    .filter(([, v]) => v)
    .map(([k]) => k);
  return [
    `tensorfold ${i.version} (Node ${i.node}, ${i.platform})`,
    `cpu        ${i.cpu.brand || i.cpu.vendor} (${i.cpu.logicalCores} logical cores)`,
    `features   ${on.join(' ')}`,
    `isa tier   ${i.tier}${i.tier !== i.maxTier ? ` (lowered from ${i.maxTier} by TENSORFOLD_ISA)` : ''}`,
    `threads    ${i.threads}`,
    `gemm       ${i.kernels.gemm}`,
    `compiler   ${i.compiler}`,
  ].join('\n');
}

export function infoCommand(): Command {
  return new Command('info')
    .description('show the version, CPU features, kernel tier and threads')
    .option('--json', 'print as JSON')
    .action((opts: { json?: boolean }) => {
      const i = info();
      process.stdout.write(opts.json ? `${JSON.stringify(i, null, 2)}\n` : `${formatInfo(i)}\n`);
    });
}
