// `tensorfold tune`: plan a model on this host, with progress, a summary
// table, and Ctrl-C keeping what was measured.
import { Command, InvalidArgumentError } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { savePlan } from '../planner/plan';
import { tune, type TuneProgress } from '../planner/tune';
import { Wisdom } from '../planner/wisdom';
import { attentionTable, planSummaryTable, writePlanReport } from '../report/plan-report';

function seconds(v: string): number {
  const m = /^(\d+(?:\.\d+)?)(s|m)?$/.exec(v.trim());
  if (!m) throw new InvalidArgumentError(`expected a duration like 120s or 2m, got '${v}'`);
  return Number(m[1]) * (m[2] === 'm' ? 60 : 1);
}

function fraction(v: string): number {
  const n = Number(v.endsWith('%') ? Number(v.slice(0, -1)) / 100 : v);
  if (!(n >= 0 && n < 1)) throw new InvalidArgumentError(`expected an error in [0, 1) such as 0.01 or 1%, got '${v}'`);
  return n;
}

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`expected a positive integer, got '${v}'`);
  return n;
}

export function tuneCommand(): Command {
  return new Command('tune')
    .description('choose the fastest format for each linear layer and attention block of a model on this machine, within an error budget')
    .option('--model <name|file.json|file.onnx>', 'bert-base, bert-large, distilbert, vit-b16, gpt2-small, a JSON config, or an ONNX model (its MatMul/Gemm weights)', 'bert-base')
    .option('--max-error <e>', 'per-layer relative output error budget (0.01 or 1%)', fraction)
    .option('--max-params <n>', 'parameter budget for the linear layers', positiveInt)
    .option('--latency-target <ms>', 'latency target for the linear layers, in ms', Number)
    .option('--batch <tokens>', 'tokens per call', positiveInt, 128)
    .option('--seq-len <tokens>', 'tokens per sequence, for the attention blocks (default: 128, at most the batch)', positiveInt)
    .option('--threads <n>', 'compute threads', positiveInt)
    .option('--budget <time>', 'time budget for measuring (120s, 2m)', seconds, 120)
    .option('--wisdom <file>', 'wisdom file (default: the user cache)')
    .option('--fresh', 'measure again even where wisdom has an answer')
    .option('--out <file>', 'write the plan as JSON', 'plan.json')
    .option('--report <dir>', 'write report.md and report.html there')
    .option('--quiet', 'no progress bar')
    .action(async (o: { model: string; maxError?: number; maxParams?: number; latencyTarget?: number; batch: number; seqLen?: number; threads?: number; budget: number; wisdom?: string; fresh?: boolean; out: string; report?: string; quiet?: boolean }) => {
      const budgetGiven = o.maxError !== undefined || o.maxParams !== undefined || o.latencyTarget !== undefined;
      const controller = new AbortController();
      const onSigint = () => {
        process.stderr.write('\nstopping: the plan is made from what was measured so far (Ctrl-C again to quit)\n');
        controller.abort();
        process.removeListener('SIGINT', onSigint);
      };
      process.on('SIGINT', onSigint);
      const bar = o.quiet || !process.stderr.isTTY ? undefined : new SingleBar({ format: ' {phase} [{bar}] {value}/{total} {label}', hideCursor: true, clearOnComplete: true }, Presets.shades_classic);
      let phase = '';
      const onProgress = (p: TuneProgress) => {
        if (!bar) return;
        if (p.phase !== phase) {
          if (phase) bar.stop();
          phase = p.phase;
          bar.start(p.total, p.done, { phase: p.phase.padEnd(8), label: '' });
        }
        bar.update(p.done, { label: p.label.slice(0, 50) });
      };
      try {
        const plan = await tune(o.model, {
          maxError: budgetGiven ? o.maxError : 0.01,
          maxParams: o.maxParams,
          latencyTargetMs: o.latencyTarget,
          batch: o.batch,
          seqLen: o.seqLen,
          threads: o.threads,
          budgetSeconds: o.budget,
          wisdom: o.wisdom ? Wisdom.load(o.wisdom) : undefined,
          fresh: o.fresh,
          onProgress,
          signal: controller.signal,
        });
        bar?.stop();
        savePlan(plan, o.out);
        const lines = [
          `tensorfold plan for ${plan.model.name}: batch ${plan.batch}, ${plan.threads} thread(s), ${plan.host.tier}`,
          plan.synthetic
            ? 'weights and activations are synthetic (σ_i = (1+i)^-0.5 spectrum, correlated activations): errors are estimates for such layers'
            : "weights from the model (each shape's first layer stands for the others of that shape); calibration activations are synthetic (correlated)",
          ...(plan.skipped?.length ? [`not planned: ${plan.skipped.join('; ')}`] : []),
          '',
          planSummaryTable(plan),
          '',
          ...(plan.attention ? [attentionTable(plan), ''] : []),
          `speedup over dense at per-layer error budgets: ${plan.budgets.map((b) => `${(100 * b.maxError).toFixed(0)}% → ${b.speedup.toFixed(2)}x`).join(', ')}`,
          ...(plan.remeasured?.searched
            ? [`(finalists timed again after the search, ${plan.remeasured.rounds} round(s); the search's own figures said this plan ${plan.remeasured.searched.speedup.toFixed(2)}x; ${plan.remeasured.searched.budgets.map((b) => `${(100 * b.maxError).toFixed(0)}% → ${b.speedup.toFixed(2)}x`).join(', ')})`]
            : []),
          `predictor: held-out Kendall tau ${plan.predictor.kendallTau?.toFixed(3) ?? 'n/a'} over ${plan.predictor.samples} candidates; measured ${plan.measuring.measured}, from wisdom ${plan.measuring.fromWisdom}, predicted ${plan.measuring.predicted} in ${plan.measuring.seconds.toFixed(1)} s${plan.measuring.interrupted ? ' (stopped early)' : ''}`,
          `plan written to ${o.out}`,
        ];
        if (o.report) lines.push(`report written to ${(await writePlanReport(plan, o.report)).join(', ')}`);
        process.stdout.write(`${lines.filter((l, i) => l || i > 0).join('\n')}\n`);
      } finally {
        bar?.stop();
        process.removeListener('SIGINT', onSigint);
      }
    });
}
