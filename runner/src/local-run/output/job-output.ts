/**
 * What a job shows its reporter: every step line goes through the job's one workflow-command parser (stop-commands
 * spans steps) and its one masker (secrets, and values steps add with `::add-mask::`), and so does every other text
 * that may carry a secret (step names, errors, summaries). One instance per job, so a mask added by one step hides
 * the value in every later step and in the job's result.
 */
import type { JobReporter } from '../reporter.js';
import { Masker } from './masker.js';
import { CommandParser } from './workflow-commands.js';

export class JobOutput {
  private readonly masker = new Masker();
  private readonly commands = new CommandParser();

  constructor(
    private readonly reporter: JobReporter,
    secrets: Record<string, string> = {},
  ) {
    for (const v of Object.values(secrets)) this.masker.add(v);
  }

  mask(text: string): string {
    return this.masker.mask(text);
  }

  /** One line of step `index`'s output: `::add-mask::` is applied and swallowed, anything else reported masked. */
  line(index: number, raw: string): void {
    const command = this.commands.parse(raw);
    if (command?.name === 'add-mask') {
      this.masker.add(command.message);
      return;
    }
    this.reporter.stepLine(
      index,
      this.masker.mask(raw),
      command ? { ...command, message: this.masker.mask(command.message) } : undefined,
    );
  }
}
