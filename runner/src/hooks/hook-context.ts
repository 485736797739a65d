/** What every hook command needs: the API clients (in-cluster identity of the job), the exec transport, its pod. */
import { loadKubeConfig, makeClients, type KubeClients } from '../kube/client.js';
import { KubeExec, type ExecTransport } from '../kube/exec.js';
import { InvalidInput } from '@eci-virtual/contract';

export interface HookContext {
  kube: KubeClients;
  exec: ExecTransport;
  pod: { namespace: string; name: string };
  /** Where hook output goes (the runner shows it as the step log). */
  out: (chunk: Buffer | string) => void;
}

export function hookContext(env: NodeJS.ProcessEnv = process.env): HookContext {
  const name = env.ECI_VIRTUAL_POD_NAME;
  const namespace = env.ECI_VIRTUAL_POD_NAMESPACE;
  if (!name || !namespace)
    throw new InvalidInput('ECI_VIRTUAL_POD_NAME/ECI_VIRTUAL_POD_NAMESPACE are not set', {
      hint: 'these hooks run only in runner pods created by the eci-virtual controller',
    });
  const kube = makeClients(loadKubeConfig());
  return { kube, exec: new KubeExec(kube), pod: { namespace, name }, out: (c) => process.stdout.write(c) };
}
