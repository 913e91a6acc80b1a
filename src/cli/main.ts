/**
 * `weightscope <command> …`: the engine in Node. stdout carries only the command's result (with
 * `--json`, exactly one JSON object); everything else — library chatter, progress, errors — goes
 * to stderr. Exit codes: 0 success, 1 a failure a person can act on, 2 a usage mistake.
 *
 * Every result is a file or a JSON object and no command depends on a long-lived process, so a
 * batch that outgrows one machine is many of these processes over a shared folder (Slurm arrays,
 * Kubernetes Jobs).
 */
import { CliError, UsageError, parseArgs } from './args';
import { commandHelp, type Command } from './command';

// Safety net: some libraries print to stdout (tfjs's Node banner); route it all to stderr.
const toStderr = (...a: unknown[]): void => {
  process.stderr.write(a.map((x) => (typeof x === 'string' ? x : String(x))).join(' ') + '\n');
};
console.log = toStderr;
console.info = toStderr;
console.warn = toStderr;
console.debug = toStderr;

/** The commands, loaded on demand so that `inspect` never pays for tfjs start-up. */
const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  inspect: {
    summary: "list a checkpoint's tensors and inferred MLP",
    load: async () => (await import('./commands/inspect')).inspect,
  },
  align: {
    summary: "permute MODEL's hidden units to match REF (Git Re-Basin)",
    load: async () => (await import('./commands/align')).align,
  },
  interpolate: {
    summary: 'lerp or slerp between two models',
    load: async () => (await import('./commands/interpolate')).interpolate,
  },
  barrier: {
    summary: 'loss along the path between two models, and its barrier',
    load: async () => (await import('./commands/barrier')).barrier,
  },
  pca: {
    summary: 'PCA coordinates of a set of models',
    load: async () => (await import('./commands/pca')).pca,
  },
  merge: {
    summary: 'average models (model soup) or slerp two, after optional alignment',
    load: async () => (await import('./commands/merge')).merge,
  },
  open: {
    summary: 'serve the app on 127.0.0.1 with checkpoints from files or a folder (--watch)',
    load: async () => (await import('./commands/open')).open,
  },
  'train-mlp': {
    summary: 'train or fine-tune one MLP classifier on MNIST or an x/y .npz',
    load: async () => (await import('./commands/train-mlp')).trainMlp,
  },
  replicate: {
    summary: "run a paper's MNIST experiment now (rebasin, widths, repair, soup)",
    load: async () => (await import('./commands/replicate')).replicate,
  },
  'zoo fit': {
    summary: 'fit a zoo of INRs: one SIREN per MNIST digit, or one image under many seeds',
    load: async () => (await import('./commands/zoo-fit')).zooFit,
  },
  'zoo classify': {
    summary: "train a weight-space classifier on a zoo's labels (mlp, mlp-aligned, mlp-augmented, np)",
    load: async () => (await import('./commands/zoo-classify')).zooClassify,
  },
  'zoo inspect': {
    summary: 'what a zoo file holds: members, architecture, labels, split',
    load: async () => (await import('./commands/zoo-inspect')).zooInspect,
  },
  'train-inr': {
    summary: 'train one INR (SIREN or ReLU MLP) on an image',
    load: async () => (await import('./commands/train-inr')).trainInr,
  },
};

function mainHelp(): string {
  const w = Math.max(...Object.keys(COMMANDS).map((k) => k.length));
  const list = Object.entries(COMMANDS)
    .map(([k, c]) => `  ${k.padEnd(w)}  ${c.summary}`)
    .join('\n');
  return (
    'Usage: weightscope <command> [options]\n\n' +
    'Explore the weight space of MLPs and INRs from the command line.\n\n' +
    `Commands:\n${list}\n\n` +
    "Run 'weightscope <command> --help' for a command's options. Every command takes --json\n" +
    'and then prints exactly one JSON object on stdout. Exit codes: 0 ok, 1 error, 2 usage.\n'
  );
}

const oneLine = (s: string): string => s.replace(/\s*\n\s*/g, ' ').trim();

/** Writes to stdout and waits until it has been handed to the OS (a pipe may be slow). */
function writeOut(s: string): Promise<void> {
  return new Promise((resolve) => process.stdout.write(s, () => resolve()));
}

async function main(argv: string[]): Promise<number> {
  let [name, ...rest] = argv;
  // Two-word commands (`zoo fit`): the second word is part of the name.
  if (name !== undefined && rest[0] !== undefined && Object.hasOwn(COMMANDS, `${name} ${rest[0]}`))
    [name, ...rest] = [`${name} ${rest[0]}`, ...rest.slice(1)];
  if (name === undefined) {
    process.stderr.write(mainHelp());
    return 2;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    await writeOut(mainHelp());
    return 0;
  }
  const entry = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!entry) {
    process.stderr.write(
      `weightscope: unknown command "${name}"; commands: ${Object.keys(COMMANDS).join(', ')}\n`,
    );
    return 2;
  }
  const cmd = await entry.load();
  try {
    const args = parseArgs(rest, cmd.spec);
    if (args.flag('help')) {
      await writeOut(commandHelp(cmd));
      return 0;
    }
    const result = await cmd.run(args);
    await writeOut(
      args.flag('json') ? JSON.stringify(result.json) + '\n' : result.text.replace(/\n?$/, '\n'),
    );
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(
        `weightscope ${name}: ${oneLine(e.message)}\nRun 'weightscope ${name} --help' for usage.\n`,
      );
      return 2;
    }
    const message = e instanceof Error && e.message ? e.message : String(e);
    process.stderr.write(`weightscope ${name}: ${oneLine(message)}\n`);
    if (!(e instanceof CliError) && process.env.WEIGHTSCOPE_DEBUG)
      process.stderr.write(`${(e as Error).stack}\n`);
    return 1;
  }
}

const code = await main(process.argv.slice(2));
// Exit explicitly: the wasm backend may leave handles open that would keep Node alive.
process.exit(code);
