// `tensorfold wisdom export|import|forget`: FFTW-style wisdom management.
// Export writes this host's wisdom as JSON; import merges a file measured on
// this host (anything else is refused with the reason); forget deletes it.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { Command } from 'commander';
import { TensorfoldError } from '../errors';
import { writeFileAtomic } from '../planner/atomic';
import { defaultWisdomPath, Wisdom, wisdomStatus } from '../planner/wisdom';

const fileOption = ['--wisdom <file>', 'wisdom file (default: the user cache)'] as const;

export function wisdomCommand(): Command {
  const cmd = new Command('wisdom').description("export, import or forget this host's measured wisdom");
  cmd
    .command('export')
    .description('write the wisdom as JSON (to stdout, or --out FILE)')
    .option(...fileOption)
    .option('--out <file>', 'write here instead of stdout')
    .action((o: { wisdom?: string; out?: string }) => {
      const file = o.wisdom ?? defaultWisdomPath();
      const status = wisdomStatus(file);
      if (status.problem) throw new TensorfoldError('WISDOM_UNUSABLE', `${file} cannot be exported: ${status.problem}`);
      const text = Wisdom.load(file).exportJson();
      if (o.out) writeFileAtomic(o.out, text);
      else process.stdout.write(text);
    });
  cmd
    .command('import <source>')
    .description('merge wisdom measured on this host into the wisdom file')
    .option(...fileOption)
    .action((source: string, o: { wisdom?: string }) => {
      const status = wisdomStatus(source);
      if (!status.exists) throw new TensorfoldError('WISDOM_MISSING', `${source} does not exist`);
      if (status.problem) throw new TensorfoldError('WISDOM_UNUSABLE', `${source} cannot be imported: ${status.problem}`);
      const w = Wisdom.load(o.wisdom ?? defaultWisdomPath());
      const taken = w.importJson(readFileSync(source, 'utf8'), source);
      w.touch();
      if (!w.save()) throw new TensorfoldError('WISDOM_WRITE', `cannot write ${w.file}`);
      process.stdout.write(`imported ${taken} measurements into ${w.file} (${w.size} in all)\n`);
    });
  cmd
    .command('forget')
    .description('delete the wisdom file, so the next tune measures afresh')
    .option(...fileOption)
    .action((o: { wisdom?: string }) => {
      const file = o.wisdom ?? defaultWisdomPath();
      if (!existsSync(file)) {
        process.stdout.write(`no wisdom at ${file}\n`);
        return;
      }
      rmSync(file);
      process.stdout.write(`removed ${file}\n`);
    });
  return cmd;
}
