/**
 * A burst of jobs in different shapes — job images, a service, a `docker://` step image, cpu/memory from
 * `.github/eci-virtual.yml` — whose steps print facts from inside their containers, and the check that every job
 * ran in containers of ITS OWN shape. With every runner registered under the same labels, GitHub hands any queued
 * job to any idle runner; under an adversarial assignment order (newest first, seeded random) runners are swapped
 * all the time, so a job is only right if the controller makes it run in its own shape whichever runner took it.
 * Shared by the controller integration test (controller-burst.test.ts) and `yarn bench swap`.
 *
 * Facts: the job container's os-release ID (busybox has none, debian says debian), its hostname (the pod's name),
 * its cgroup v2 cpu.max/memory.max, the service's answer (`pong`) where the shape has one, and, in the `docker://`
 * step, the step image's /bin (the no-shell image holds only busybox) and hostname. A job is wrong when it failed,
 * when a fact disagrees with its shape, or when the pod that ran its steps was built for another shape (images or
 * cpu/memory of the pod, recorded while the burst runs).
 */
import { Watch, type V1Pod } from '@kubernetes/client-node';
import { LABEL } from '@eci-virtual/contract';
import type { KubeClients } from '../../src/kube/client.js';
import type { GitHubEmulator } from '../github-emulator/server.js';
import type { EmuJob, StandInStep } from '../github-emulator/state.js';

/** Kubernetes quantities as the shapes write them (`250m`, `0.5`, `256Mi`, `1Gi`), as numbers (cores, bytes). */
export function parseQuantity(q: string): number {
  const m = /^(\d+(?:\.\d+)?)(m|Ki|Mi|Gi|Ti)?$/.exec(q.trim());
  if (!m) throw new Error(`unexpected quantity ${q}`);
  const unit = { m: 1e-3, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 }[m[2] ?? ''] ?? 1;
  return Number(m[1]) * unit;
}

export interface BurstImages {
  busybox: string;
  debian: string;
  httpService: string;
  noShell: string;
}

export interface Shape {
  /** The workflow job key (`jobs.<key>`), which `.github/eci-virtual.yml` sizes. */
  key: string;
  image: string;
  /** os-release ID inside the job image (`none` without /etc/os-release). */
  os: string;
  service?: string;
  stepImage?: string;
  cpu: string;
  memory: string;
}

export function shapes(images: BurstImages): Shape[] {
  return [
    { key: 'small', image: images.busybox, os: 'none', cpu: '250m', memory: '256Mi' },
    { key: 'large', image: images.debian, os: 'debian', cpu: '750m', memory: '384Mi' },
    { key: 'svc', image: images.busybox, os: 'none', service: images.httpService, cpu: '500m', memory: '320Mi' },
    { key: 'step', image: images.debian, os: 'debian', stepImage: images.noShell, cpu: '400m', memory: '448Mi' },
  ];
}

/** One workflow with a matrix job per shape (job names `<key>-<n>`), and the settings that size each job key. */
export function burstFiles(all: Shape[], perShape: number): { workflow: string; settings: string } {
  const legs = Array.from({ length: perShape }, (_, i) => i + 1).join(', ');
  const workflow = [
    'name: swap',
    'on: push',
    'jobs:',
    ...all.flatMap((s) => [
      `  ${s.key}:`,
      '    runs-on: [self-hosted, eci-virtual]',
      `    name: ${s.key}-\${{ matrix.n }}`,
      `    strategy: { matrix: { n: [${legs}] } }`,
      `    container: { image: "${s.image}" }`,
      ...(s.service ? ['    services:', `      web: { image: "${s.service}" }`] : []),
      '    steps:',
      '      - run: facts',
      ...(s.stepImage ? [`      - uses: docker://${s.stepImage}`] : []),
    ]),
    '',
  ].join('\n');
  const settings = ['jobs:', ...all.map((s) => `  ${s.key}: { cpu: "${s.cpu}", memory: ${s.memory} }`), ''].join('\n');
  return { workflow, settings };
}

const FACTS = String.raw`ID=none; [ -r /etc/os-release ] && . /etc/os-release
echo "FACT os=$ID pod=$(cat /etc/hostname) cpu=$(tr ' ' / < /sys/fs/cgroup/cpu.max 2>/dev/null || echo none) mem=$(cat /sys/fs/cgroup/memory.max 2>/dev/null || echo none)"`;
const SERVICE = String.raw`for i in 1 2 3 4 5 6 7 8 9 10; do r=$(wget -qO- -T 2 http://localhost:8080/ 2>/tmp/svc.err || curl -fsS -m 2 http://localhost:8080/ 2>>/tmp/svc.err) && break; sleep 0.5; done
[ -n "$r" ] || { r=none; tail -n 3 /tmp/svc.err; }; echo "FACT svc=$r"`;

function steps(s: Shape): StandInStep[] {
  return [
    { kind: 'script', name: 'facts', run: FACTS },
    ...(s.service ? [{ kind: 'script' as const, name: 'service', run: SERVICE }] : []),
    ...(s.stepImage
      ? [
          {
            kind: 'container' as const,
            name: 'step facts',
            image: s.stepImage,
            entrypoint: '/bin/busybox',
            args: 'sh -c "echo STEPFACT bin=$(ls /bin) pod=$(cat /etc/hostname)"',
          },
        ]
      : []),
  ];
}

export interface BurstJob {
  job: EmuJob;
  shape: Shape;
}

/** Queues `perShape` jobs of every shape, interleaved (small-1, large-1, svc-1, step-1, small-2, …). */
export async function queueBurst(
  emulator: GitHubEmulator,
  repo: string,
  images: BurstImages,
  perShape: number,
): Promise<BurstJob[]> {
  const all = shapes(images);
  const { workflow, settings } = burstFiles(all, perShape);
  const out: BurstJob[] = [];
  let runId: number | undefined;
  for (let n = 1; n <= perShape; n++)
    for (const shape of all) {
      const job = await emulator.queueJob({
        repo,
        workflowPath: '.github/workflows/swap.yml',
        workflowText: workflow,
        files: { '.github/eci-virtual.yml': settings },
        name: `${shape.key}-${n}`,
        labels: ['self-hosted', 'eci-virtual'],
        message: {
          jobKey: shape.key,
          container: { image: shape.image },
          ...(shape.service ? { services: [{ name: 'web', image: shape.service }] } : {}),
          steps: steps(shape),
        },
        ...(runId !== undefined ? { runId } : { runJobs: perShape * all.length }),
      });
      runId ??= job.run_id;
      out.push({ job, shape });
    }
  return out;
}

/**
 * What a pod was built for: its containers' images and the cpu/memory it was sized with — the largest limit of any
 * of its containers (the job's cpu/memory go to one container; helpers such as sidecars get less or none).
 */
export interface PodShape {
  images: string[];
  cpu: number;
  memoryBytes: number;
}

/** Records every job pod's shape while the burst runs (pods are deleted once their job is done). */
export async function recordPods(
  kube: KubeClients,
  namespace: string,
): Promise<{
  pods: Map<string, PodShape>;
  stop: () => void;
}> {
  const pods = new Map<string, PodShape>();
  const req = await new Watch(kube.config).watch(
    `/api/v1/namespaces/${namespace}/pods`,
    {},
    (_type: string, pod: V1Pod) => {
      const name = pod.metadata?.name;
      if (!name || !pod.metadata?.labels?.[LABEL.jobId] || pods.has(name)) return;
      const containers = pod.spec?.containers ?? [];
      const largest = (key: 'cpu' | 'memory') =>
        Math.max(0, ...containers.map((c) => parseQuantity(String(c.resources?.limits?.[key] ?? '0'))));
      pods.set(name, {
        images: containers.map((c) => c.image ?? ''),
        cpu: largest('cpu'),
        memoryBytes: largest('memory'),
      });
    },
    () => undefined,
  );
  return { pods, stop: () => req.abort() };
}

const fact = (log: string, key: string) => new RegExp(`(?:^|\\s)${key}=(\\S*)`).exec(log)?.[1];

/** Why a finished job is wrong, or undefined when it ran right in its own shape. */
export function judge(job: EmuJob, shape: Shape, pods: Map<string, PodShape>): string | undefined {
  if (job.conclusion !== 'success') {
    const failed = job.results.find((r) => r.exitCode !== 0);
    return `${job.conclusion ?? job.status}${failed ? ` in "${failed.name}": ${failed.log.trim().slice(-300)}` : ''}`;
  }
  const factsLog = job.results.find((r) => r.name === 'facts')?.log ?? '';
  const os = fact(factsLog, 'os');
  if (os !== shape.os) return `job container os ${os ?? '?'} (its image has ${shape.os})`;
  const cpu = fact(factsLog, 'cpu');
  const wantCpu = parseQuantity(shape.cpu);
  if (cpu && cpu !== 'none' && !cpu.startsWith('max/')) {
    const [quota, period] = cpu.split('/').map(Number);
    if (Math.abs(quota! / period! - wantCpu) > 0.01) return `job container cpu.max ${cpu} (its shape has ${shape.cpu})`;
  }
  const mem = fact(factsLog, 'mem');
  if (mem && mem !== 'none' && mem !== 'max' && Number(mem) !== parseQuantity(shape.memory))
    return `job container memory.max ${mem} (its shape has ${shape.memory})`;
  const podName = fact(factsLog, 'pod');
  const pod = podName ? pods.get(podName) : undefined;
  if (!pod) return `its steps ran in pod ${podName ?? '?'}, not a job pod seen during the burst`;
  const wantImages = [
    shape.image,
    ...(shape.service ? [shape.service] : []),
    ...(shape.stepImage ? [shape.stepImage] : []),
  ];
  const missing = wantImages.filter((i) => !pod.images.includes(i));
  if (missing.length) return `its steps ran in pod ${podName} without ${missing.join(', ')}`;
  if (Math.abs(pod.cpu - wantCpu) > 0.01 || pod.memoryBytes !== parseQuantity(shape.memory))
    return `its steps ran in pod ${podName} sized cpu=${pod.cpu} memory=${pod.memoryBytes} (its shape has ${shape.cpu}/${shape.memory})`;
  if (shape.service) {
    const svc = fact(job.results.find((r) => r.name === 'service')?.log ?? '', 'svc');
    if (svc !== 'pong') {
      const log = job.results
        .find((r) => r.name === 'service')
        ?.log.trim()
        .slice(-300);
      return `its service answered ${svc ?? '?'}${log ? ` (${log.replace(/\s+/g, ' ')})` : ''}`;
    }
  }
  if (shape.stepImage) {
    const log = job.results.find((r) => r.name === 'step facts')?.log ?? '';
    if (fact(log, 'bin') !== 'busybox')
      return `its docker:// step ran in another image (/bin: ${fact(log, 'bin') ?? '?'})`;
    if (fact(log, 'pod') !== podName)
      return `its docker:// step ran in pod ${fact(log, 'pod') ?? '?'}, its job in ${podName}`;
  }
  return undefined;
}

/** Job pods, Secrets, ServiceAccounts, Roles and RoleBindings still in the namespace. */
export async function leftovers(kube: KubeClients, namespace: string): Promise<string[]> {
  const labelSelector = LABEL.jobId;
  const [pods, secrets, sas, roles, bindings] = await Promise.all([
    kube.core.listNamespacedPod({ namespace, labelSelector }),
    kube.core.listNamespacedSecret({ namespace, labelSelector }),
    kube.core.listNamespacedServiceAccount({ namespace, labelSelector }),
    kube.rbac.listNamespacedRole({ namespace, labelSelector }),
    kube.rbac.listNamespacedRoleBinding({ namespace, labelSelector }),
  ]);
  return [
    ...pods.items.map((p) => `pod/${p.metadata?.name}`),
    ...secrets.items.map((p) => `secret/${p.metadata?.name}`),
    ...sas.items.map((p) => `serviceaccount/${p.metadata?.name}`),
    ...roles.items.map((p) => `role/${p.metadata?.name}`),
    ...bindings.items.map((p) => `rolebinding/${p.metadata?.name}`),
  ];
}
