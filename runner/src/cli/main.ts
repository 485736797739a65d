/** The `eci-virtual` command: thin dispatch to the commands; errors print as one actionable line. */
import { describeError, EciVirtualError } from '@eci-virtual/contract';
import { controllerCommand, controllerUsage } from './controller-command.js';
import { nodeCommand, nodeUsage } from './node-command.js';
import { runCommand, runUsage } from './run-command.js';

const usage = `eci-virtual <command> [options]

commands:
  run         run a workflow's jobs, each as one pod on a virtual node
  node        run a virtual node (virtual-kubelet) backed by a container engine or ECI
  controller  serve GitHub: one job pod per queued \`runs-on: eci-virtual\` job

${runUsage}

${nodeUsage}

${controllerUsage}`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'node':
      return nodeCommand(rest);
    case 'run':
      return runCommand(rest);
    case 'controller':
      return controllerCommand(rest);
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      console.log(usage);
      return command === undefined ? 2 : 0;
    default:
      console.error(`eci-virtual: unknown command "${command}"\n\n${usage}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`eci-virtual: ${describeError(err)}`);
    if (!(err instanceof EciVirtualError) && process.env.ECI_VIRTUAL_DEBUG) console.error(err);
    process.exit(err instanceof EciVirtualError && err.code === 'InvalidInput' ? 2 : 1);
  },
);
