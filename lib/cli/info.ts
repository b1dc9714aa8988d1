import { Command } from 'commander';
import { info } from '../runtime';
import { defaultWisdomPath, wisdomStatus, type WisdomStatus } from '../planner/wisdom';

function wisdomLine(w: WisdomStatus): string {
  if (!w.exists) return `${w.file} (none yet: the first tune measures)`;
  if (w.problem) return `${w.file} (ignored: ${w.problem})`;
  return `${w.file} (${w.measurements} measurements, ${w.accuracy} accuracy figures for this host)`;
}

export function formatInfo(i: ReturnType<typeof info>, wisdom?: WisdomStatus): string {
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
    `malloc     ${i.malloc.tuned ? `freed memory reused below ${i.malloc.reuseBelowBytes >> 20} MiB` : `system defaults (${i.malloc.reason})`}`,
    `compiler   ${i.compiler}`,
    ...(wisdom ? [`wisdom     ${wisdomLine(wisdom)}`] : []),
  ].join('\n');
}

export function infoCommand(): Command {
  return new Command('info')
    .description('show the version, CPU features, kernel tier, threads and wisdom status')
    .option('--wisdom <file>', 'wisdom file to describe (default: the user cache)')
    .option('--json', 'print as JSON')
    .action((opts: { json?: boolean; wisdom?: string }) => {
      const i = info();
      const w = wisdomStatus(opts.wisdom ?? defaultWisdomPath());
      process.stdout.write(opts.json ? `${JSON.stringify({ ...i, wisdom: w }, null, 2)}\n` : `${formatInfo(i, w)}\n`);
    });
}
