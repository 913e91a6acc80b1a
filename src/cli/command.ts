/** What every CLI command provides: its argument table, help, and a run that returns its result. */
import { flagHelp, type ArgSpec, type ParsedArgs } from './args';

/**
 * A command's result: the JSON object printed with `--json` (field names are the documented
 * contract) and a short human summary printed otherwise.
 */
export interface CommandResult {
  json: Record<string, unknown>;
  text: string;
}

export interface Command {
  name: string;
  /** One line for the command list. */
  summary: string;
  /** Usage line, without the program name. */
  usage: string;
  /** Paragraphs after the flag table: what it does, JSON fields, an example. */
  details: string;
  spec: ArgSpec;
  run(args: ParsedArgs): Promise<CommandResult>;
}

/** The full `--help` text of a command. */
export function commandHelp(c: Command): string {
  return `Usage: weightscope ${c.usage}\n\n${c.summary}\n\nOptions:\n${flagHelp(c.spec)}\n\n${c.details.trim()}\n`;
}

/** Rounds for human output only; JSON keeps full precision. */
export const fmt = (x: number, digits = 4): string =>
  Number.isFinite(x) ? Number(x.toPrecision(digits)).toString() : String(x);
