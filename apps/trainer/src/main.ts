/**
 * The trainer CLI: `nx run trainer:<command> [flags]` runs `tsx apps/trainer/src/main.ts <command> [flags]`.
 * Each command lives in ./commands/<command>.ts and exports `run(argv)`; this file only dispatches.
 */
const COMMANDS = {
  train: 'Train FEENet on a dataset and write an experiment folder',
  evaluate: 'Recompute test triplet accuracy from a saved run',
  describe: "Print the model's layers and parameter count",
  align: 'Align every face found under a folder into 224x224 crops plus a manifest',
  prepare: 'Build a dataset (faces + triplets) from FEC or a labelled folder',
  embed: "Align and embed a folder of photos into a gallery with a run's model",
  search: 'Top-k faces of a gallery nearest a query photo',
  summary: "One person's K representative expressions",
  tag: 'Create, list and apply expression tags over a gallery',
  export: 'Export a trained run (e.g. to ONNX)',
} as const;
type CommandName = keyof typeof COMMANDS;

interface CommandModule {
  run(argv: string[]): Promise<void>;
}

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, what]) => `  ${name.padEnd(10)} ${what}`);
  return `usage: nx run trainer:<command> [--flag value ...]\n\ncommands:\n${lines.join('\n')}`;
}

async function main(): Promise<void> {
  const [name, ...argv] = process.argv.slice(2);
  if (!name || name === '--help' || name === '-h') {
    console.log(usage());
    return;
  }
  if (!(name in COMMANDS)) {
    console.error(`unknown command "${name}"\n\n${usage()}`);
    process.exitCode = 2;
    return;
  }
  let command: CommandModule;
  try {
    command = (await import(`./commands/${name as CommandName}.ts`)) as CommandModule;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' && String(err).includes(`commands/${name}`)) {
      console.error(`"${name}" is not implemented yet.`);
      process.exitCode = 2;
      return;
    }
    throw err;
  }
  await command.run(argv);
}

main().catch((err: unknown) => {
  // Expected failures (bad flags, missing files) carry a clear message; anything else keeps its stack.
  if (err instanceof Error && err.name === 'UsageError') console.error(`error: ${err.message}`);
  else console.error(err);
  process.exitCode = 1;
});
