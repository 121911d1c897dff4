import { FACE_API_DETECTOR_MODELS, isFaceApiDetectorModel, type FaceApiDetectorModel } from '@feenet/alignment';

/** A bad flag or missing input: printed as one line, without a stack. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export type FlagValue = string | boolean;

/**
 * Parses `--name value`, `--name=value` and bare `--switch` flags; positional arguments are kept in order.
 * Kebab-case names are returned as written; callers map them to their typed options.
 */
export function parseFlags(argv: readonly string[]): { flags: Map<string, FlagValue>; positional: string[] } {
  const flags = new Map<string, FlagValue>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    if (eq > 0) {
      flags.set(arg.slice(2, eq), arg.slice(eq + 1));
      continue;
    }
    const next = argv[i + 1];
    if (next !== undefined && !next.startsWith('--')) {
      flags.set(arg.slice(2), next);
      i++;
    } else {
      flags.set(arg.slice(2), true);
    }
  }
  return { flags, positional };
}

export function stringFlag(flags: Map<string, FlagValue>, name: string): string | undefined {
  const v = flags.get(name);
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new UsageError(`--${name} needs a value`);
  return v;
}

/** `--detector`: one of face-api's detectors, refused plainly otherwise. */
export function detectorFlag(flags: Map<string, FlagValue>, name = 'detector'): FaceApiDetectorModel | undefined {
  const v = stringFlag(flags, name);
  if (v !== undefined && !isFaceApiDetectorModel(v)) throw new UsageError(`--${name} must be ${FACE_API_DETECTOR_MODELS.join(' or ')}, got "${v}"`);
  return v;
}

export function requiredStringFlag(flags: Map<string, FlagValue>, name: string): string {
  const v = stringFlag(flags, name);
  if (v === undefined) throw new UsageError(`--${name} is required`);
  return v;
}

export function numberFlag(flags: Map<string, FlagValue>, name: string): number | undefined {
  const v = stringFlag(flags, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new UsageError(`--${name} must be a number, got "${v}"`);
  return n;
}

export function booleanFlag(flags: Map<string, FlagValue>, name: string): boolean {
  const v = flags.get(name);
  if (v === undefined) return false;
  if (typeof v === 'boolean') return v;
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new UsageError(`--${name} is a switch (true/false), got "${v}"`);
}

/**
 * The common start of a command: `--help` prints `help` and returns undefined; positional arguments and (when
 * `known` is given) unknown flags are usage errors that show the help.
 */
export function parseCommandFlags(argv: readonly string[], help: string, known?: readonly string[]): Map<string, FlagValue> | undefined {
  const { flags, positional } = parseFlags(argv);
  if (flags.has('help')) {
    console.log(help);
    return undefined;
  }
  if (positional.length > 0) throw new UsageError(`unexpected argument "${positional[0]}"\n\n${help}`);
  const unknown = known && [...flags.keys()].find((f) => !known.includes(f));
  if (unknown) throw new UsageError(`unknown flag --${unknown}\n\n${help}`);
  return flags;
}
