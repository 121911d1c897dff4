import { parseArgs } from 'node:util';
import { FACE_API_DETECTOR_MODELS, isFaceApiDetectorModel, type FaceApiDetectorModel } from '@feenet/alignment';

/** A bad flag or missing input: printed as one line, without a stack. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export type FlagValue = string | boolean;
export type Flags = Map<string, FlagValue>;
/** A command's flags as typed on the command line (kebab-case): a value (`--k 8`, `--k=8`) or a switch (`--aligned`, `--no-aligned`). */
export type FlagKinds = Readonly<Record<string, 'string' | 'boolean'>>;

/** The flag a parseArgs error message names, e.g. "Unknown option '--foo'" → "foo". */
function flagNamed(message: string): string {
  return /'--?([^' =]+)/.exec(message)?.[1] ?? '?';
}

/** parseArgs takes a value starting with "-" (a negative number) only as `--name=value`: such a value is joined to its flag. */
function joinDashValues(argv: readonly string[], kinds: FlagKinds): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const next = argv[i + 1];
    if (arg.startsWith('--') && kinds[arg.slice(2)] === 'string' && next !== undefined && /^-[^-]/.test(next)) {
      out.push(`${arg}=${next}`);
      i++;
    } else out.push(arg);
  }
  return out;
}

/**
 * node:util's `parseArgs` over the command's declared flags (plus `--help`): an unknown flag, a value missing or
 * given to a switch, and (unless `positionals`) any bare argument are usage errors naming the flag.
 */
export function parseFlags(argv: readonly string[], kinds: FlagKinds, { positionals = false } = {}): { flags: Flags; positional: string[] } {
  const all: FlagKinds = { help: 'boolean', ...kinds };
  const options = Object.fromEntries(Object.entries(all).map(([name, type]) => [name, { type }]));
  try {
    const parsed = parseArgs({ args: joinDashValues(argv, all), options, strict: true, allowPositionals: positionals, allowNegative: true });
    return { flags: new Map(Object.entries(parsed.values).filter((e): e is [string, FlagValue] => e[1] !== undefined)), positional: parsed.positionals };
  } catch (err) {
    const { code, message } = err as { code?: string; message: string };
    const name = flagNamed(message);
    if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') throw new UsageError(`unexpected argument "${/'([^']*)'/.exec(message)?.[1]}" (values go after their flag, e.g. --k 8)`);
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new UsageError(`unknown flag --${name}; known: ${Object.keys(all).map((f) => `--${f}`).join(' ')}`);
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      throw new UsageError(all[name] === 'boolean' ? `--${name} is a switch: --${name} or --no-${name}` : `--${name} needs a value`);
    }
    throw err;
  }
}

export function stringFlag(flags: Flags, name: string): string | undefined {
  const v = flags.get(name);
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new UsageError(`--${name} needs a value`);
  return v;
}

/** `--detector`: one of face-api's detectors, refused plainly otherwise. */
export function detectorFlag(flags: Flags, name = 'detector'): FaceApiDetectorModel | undefined {
  const v = stringFlag(flags, name);
  if (v !== undefined && !isFaceApiDetectorModel(v)) throw new UsageError(`--${name} must be ${FACE_API_DETECTOR_MODELS.join(' or ')}, got "${v}"`);
  return v;
}

export function requiredStringFlag(flags: Flags, name: string): string {
  const v = stringFlag(flags, name);
  if (v === undefined) throw new UsageError(`--${name} is required`);
  return v;
}

export function numberFlag(flags: Flags, name: string): number | undefined {
  const v = stringFlag(flags, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${name} must be a number, got "${v}"`);
  return n;
}

/** A switch: true for `--name`, false for `--no-name` or when absent. */
export function booleanFlag(flags: Flags, name: string, fallback = false): boolean {
  const v = flags.get(name);
  return typeof v === 'boolean' ? v : fallback;
}

/** The common start of a command: parsed flags, or undefined after printing `help` for `--help`. */
export function parseCommandFlags(argv: readonly string[], help: string, kinds: FlagKinds): Flags | undefined {
  const { flags } = parseFlags(argv, kinds);
  if (flags.has('help')) {
    console.log(help);
    return undefined;
  }
  return flags;
}

/** Kinds from two lists: the flags that take a value, and the switches. */
export function flagKinds(values: readonly string[], switches: readonly string[] = []): FlagKinds {
  return Object.fromEntries([...values.map((f) => [f, 'string'] as const), ...switches.map((f) => [f, 'boolean'] as const)]);
}
