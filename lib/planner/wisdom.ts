// Wisdom, as FFTW calls it: measurements of this host kept between runs, so a
// second plan of the same model reuses them instead of measuring again.
// Stored as versioned JSON, validated on load; a corrupt file or one from
// another host is ignored with a warning, never an error.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from './atomic';
import { hostFingerprint, sameHost, type HostFingerprint } from './fingerprint';

export const WISDOM_FORMAT = 'tensorfold-wisdom';
export const WISDOM_VERSION = 1;

const measurementSchema = z.object({
  medianMs: z.number().nonnegative(),
  minMs: z.number().nonnegative(),
  maxMs: z.number().nonnegative(),
  reps: z.number().int().positive(),
  measuredAt: z.string(),
});

const wisdomSchema = z.object({
  format: z.literal(WISDOM_FORMAT),
  version: z.literal(WISDOM_VERSION),
  host: z.object({ cpu: z.string(), tier: z.string(), threads: z.number().int().positive(), version: z.string() }),
  entries: z.record(z.string(), measurementSchema),
  /** Accuracy results (host-independent, but kept with the measurements they were planned with). */
  accuracy: z.record(z.string(), z.number()).optional(),
});

export type WisdomMeasurement = z.infer<typeof measurementSchema>;
export type WisdomFile = z.infer<typeof wisdomSchema>;

/** $TENSORFOLD_WISDOM, else $XDG_CACHE_HOME/tensorfold/wisdom.json, else ~/.cache/tensorfold/wisdom.json. */
export function defaultWisdomPath(): string {
  if (process.env.TENSORFOLD_WISDOM) return process.env.TENSORFOLD_WISDOM;
  const cache = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(cache, 'tensorfold', 'wisdom.json');
}

function warn(message: string): void {
  process.emitWarning(message, { code: 'TENSORFOLD_WISDOM' });
}

/** Where a zod error points: "entries.gemm:1x2x3.medianMs: Expected number". */
function describeIssue(err: z.ZodError): string {
  const i = err.issues[0];
  return `${i.path.join('.') || '(root)'}: ${i.message}`;
}

type Parsed = { ok: true; data: WisdomFile } | { ok: false; problem: string };

/** Parses and checks wisdom text: valid JSON, this format and version, measured on `host`. */
function parseWisdom(text: string, source: string, host: HostFingerprint): Parsed {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, problem: `${source} is not valid JSON` };
  }
  const r = wisdomSchema.safeParse(raw);
  if (!r.success) return { ok: false, problem: `${source} is not tensorfold wisdom v${WISDOM_VERSION} (${describeIssue(r.error)})` };
  if (!sameHost(r.data.host, host))
    return { ok: false, problem: `${source} was measured on another host or version (${JSON.stringify(r.data.host)}, this is ${JSON.stringify(host)})` };
  return { ok: true, data: r.data };
}

export interface WisdomStatus {
  file: string;
  exists: boolean;
  /** Kernel measurements and accuracy figures this host would use (0 when unusable). */
  measurements: number;
  accuracy: number;
  /** Why the file would be ignored, if it would. */
  problem?: string;
}

/** What a wisdom file holds for this host, without loading it or warning. */
export function wisdomStatus(file: string = defaultWisdomPath(), host: HostFingerprint = hostFingerprint()): WisdomStatus {
  if (!existsSync(file)) return { file, exists: false, measurements: 0, accuracy: 0 };
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    return { file, exists: true, measurements: 0, accuracy: 0, problem: `cannot read it (${(e as Error).message})` };
  }
  const r = parseWisdom(text, file, host);
  if (!r.ok) return { file, exists: true, measurements: 0, accuracy: 0, problem: r.problem };
  return { file, exists: true, measurements: Object.keys(r.data.entries).length, accuracy: Object.keys(r.data.accuracy ?? {}).length };
}

export class Wisdom {
  readonly host: HostFingerprint;
  readonly file: string | undefined;
  private entries = new Map<string, WisdomMeasurement>();
  /** Cached accuracy figures (relative errors) by key. */
  readonly accuracy = new Map<string, number>();
  private dirty = false;

  private constructor(host: HostFingerprint, file: string | undefined) {
    this.host = host;
    this.file = file;
  }

  /** In memory only. */
  static memory(host: HostFingerprint = hostFingerprint()): Wisdom {
    return new Wisdom(host, undefined);
  }

  /** Loads `file` (default: defaultWisdomPath()); missing, corrupt or foreign files give empty wisdom. */
  static load(file: string = defaultWisdomPath(), host: HostFingerprint = hostFingerprint()): Wisdom {
    const w = new Wisdom(host, file);
    if (!existsSync(file)) return w;
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      warn(`cannot read wisdom file ${file} (${(e as Error).message}); starting without it`);
      return w;
    }
    w.importJson(text, file);
    return w;
  }

  /** Merges wisdom from JSON text; returns how many entries were taken. */
  importJson(text: string, source = 'imported wisdom'): number {
    const r = parseWisdom(text, source, this.host);
    if (!r.ok) {
      warn(`${r.problem}; ignoring it`);
      return 0;
    }
    for (const [k, v] of Object.entries(r.data.entries)) this.entries.set(k, v);
    for (const [k, v] of Object.entries(r.data.accuracy ?? {})) this.accuracy.set(k, v);
    return Object.keys(r.data.entries).length;
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: string): WisdomMeasurement | undefined {
    return this.entries.get(key);
  }

  set(key: string, m: Omit<WisdomMeasurement, 'measuredAt'> & { measuredAt?: string }): void {
    this.entries.set(key, { ...m, measuredAt: m.measuredAt ?? new Date().toISOString() });
    this.dirty = true;
  }

  toJSON(): WisdomFile {
    return {
      format: WISDOM_FORMAT,
      version: WISDOM_VERSION,
      host: this.host,
      entries: Object.fromEntries([...this.entries].sort(([a], [b]) => (a < b ? -1 : 1))),
      accuracy: Object.fromEntries([...this.accuracy].sort(([a], [b]) => (a < b ? -1 : 1))),
    };
  }

  exportJson(): string {
    return `${JSON.stringify(this.toJSON(), null, 1)}\n`;
  }

  /** Marks accuracy additions for saving. */
  touch(): void {
    this.dirty = true;
  }

  /**
   * Writes the file atomically when anything changed. A directory that cannot
   * be written is a warning (the measurements stay usable in memory).
   */
  save(): boolean {
    if (!this.file || !this.dirty) return false;
    try {
      mkdirSync(dirname(this.file), { recursive: true });
      writeFileAtomic(this.file, this.exportJson());
      this.dirty = false;
      return true;
    } catch (e) {
      warn(`cannot write wisdom to ${this.file} (${(e as Error).message}); keeping it in memory only`);
      return false;
    }
  }
}
