/**
 * GitHub workflow commands in step output: `::name key=value,key=value::message`, with GitHub's escaping
 * (%25 %0D %0A in messages; also %3A %2C in property values). `::stop-commands::TOKEN` suspends parsing until
 * `::TOKEN::`. Pure; one instance per job (stop-commands state spans lines).
 */
export interface WorkflowCommand {
  name: string;
  properties: Record<string, string>;
  message: string;
}

const unescapeData = (s: string) => s.replace(/%0D/gi, '\r').replace(/%0A/gi, '\n').replace(/%25/g, '%');
const unescapeProperty = (s: string) => unescapeData(s).replace(/%3A/gi, ':').replace(/%2C/gi, ',');

export class CommandParser {
  private stopToken: string | undefined;

  /** The command on this line, or undefined for ordinary output (or while commands are stopped). */
  parse(line: string): WorkflowCommand | undefined {
    const trimmed = line.replace(/\r$/, '');
    if (this.stopToken !== undefined) {
      if (trimmed === `::${this.stopToken}::`) this.stopToken = undefined;
      return undefined;
    }
    const m = /^::([A-Za-z-]+)(?: ([^:]*))?::(.*)$/s.exec(trimmed);
    if (!m) return undefined;
    const [, name, props, message] = m as unknown as [string, string, string | undefined, string];
    const properties: Record<string, string> = {};
    for (const part of (props ?? '').split(',')) {
      const eq = part.indexOf('=');
      if (eq > 0) properties[part.slice(0, eq).trim()] = unescapeProperty(part.slice(eq + 1));
    }
    const command = { name: name.toLowerCase(), properties, message: unescapeData(message) };
    if (command.name === 'stop-commands') this.stopToken = command.message;
    return command;
  }
}
