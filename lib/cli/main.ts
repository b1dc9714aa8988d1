// The `tensorfold` command. Each subcommand lives in its own file.
import { Command } from 'commander';
import { version } from '../runtime';
import { benchCommand } from './bench';
import { infoCommand } from './info';
import { tuneCommand } from './tune';
import { wisdomCommand } from './wisdom';

export function buildProgram(): Command {
  const program = new Command('tensorfold')
    .description('Cheaper transformer inference in Node.js, planned by measuring this machine.')
    .version(version());
  program.addCommand(infoCommand());
  program.addCommand(tuneCommand());
  program.addCommand(benchCommand());
  program.addCommand(wisdomCommand());
  return program;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    // User errors get one clear line, not a stack trace.
    const e = err as Error & { code?: string };
    process.stderr.write(`tensorfold: ${e.message}\n`);
    process.exitCode = 1;
  }
}
