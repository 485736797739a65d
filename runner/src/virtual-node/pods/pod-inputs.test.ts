import { describe, expect, it } from '@jest/globals';
import type { V1ConfigMap, V1Pod, V1Secret } from '@kubernetes/client-node';
import { InvalidInput } from '@eci-virtual/contract';
import type { PodInputSource } from './input-source.js';
import { expandVars, MissingPodInput, preparePod, type InputNotice } from './pod-inputs.js';
import { parseQuantity } from '../../kube/quantity.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

function source(
  configMaps: Record<string, V1ConfigMap['data']>,
  secrets: Record<string, Record<string, string>>,
): PodInputSource & { tokens: unknown[] } {
  const tokens: unknown[] = [];
  return {
    tokens,
    configMap: async (_ns, name) => (configMaps[name] ? { data: configMaps[name] } : undefined),
    secret: async (_ns, name): Promise<V1Secret | undefined> =>
      secrets[name]
        ? { data: Object.fromEntries(Object.entries(secrets[name]!).map(([k, v]) => [k, b64(v)])) }
        : undefined,
    serviceAccountToken: async (ns, sa, opts) => {
      tokens.push({ ns, sa, ...opts });
      return 'token-for-' + sa;
    },
  };
}

const ctx = { nodeName: 'eci-virtual', hostIP: '127.0.0.1' };

function pod(spec: V1Pod['spec']): V1Pod {
  return { metadata: { namespace: 'ci', name: 'job-1', uid: 'u-1', labels: { app: 'x' } }, spec };
}

describe('preparePod', () => {
  it('resolves env in spec order with fieldRef, configMapKeyRef, secretKeyRef, envFrom and $(VAR) expansion', async () => {
    const p = pod({
      containers: [
        {
          name: 'main',
          resources: { limits: { memory: '1Gi' } },
          envFrom: [{ configMapRef: { name: 'common' }, prefix: 'C_' }],
          env: [
            { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
            { name: 'APP', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
            { name: 'MODE', valueFrom: { configMapKeyRef: { name: 'settings', key: 'mode' } } },
            { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'creds', key: 'password' } } },
            { name: 'MEM_MI', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
            { name: 'GREETING', value: 'hi $(POD) $$(POD) $(MISSING)' },
          ],
        },
      ],
    });
    const prepared = await preparePod(
      p,
      source({ common: { A: '1' }, settings: { mode: 'fast' } }, { creds: { password: 's3cret' } }),
      ctx,
    );
    expect(prepared.env.main).toEqual([
      ['C_A', '1'],
      ['POD', 'job-1'],
      ['APP', 'x'],
      ['MODE', 'fast'],
      ['PASSWORD', 's3cret'],
      ['MEM_MI', '1024'],
      ['GREETING', 'hi job-1 $(POD) $(MISSING)'],
    ]);
  });

  it('throws MissingPodInput (virtual-kubelet reasons) for a missing mandatory key or object', async () => {
    const p = pod({
      containers: [{ name: 'main', env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 'creds', key: 'nope' } } }] }],
    });
    const err = await preparePod(p, source({}, { creds: { password: 'x' } }), ctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MissingPodInput);
    expect(err).toMatchObject({ reason: 'MandatorySecretKeyNotFound', waitingReason: 'CreateContainerConfigError' });
    expect((err as Error).message).toMatch(/couldn't find key nope in Secret ci\/creds/);
    const reasons = async (spec: V1Pod['spec']) =>
      (
        (await preparePod(pod(spec), source({ there: { a: '1' } }, {}), ctx).catch(
          (e: unknown) => e,
        )) as MissingPodInput
      ).reason;
    expect(await reasons({ containers: [{ name: 'm', envFrom: [{ configMapRef: { name: 'gone' } }] }] })).toBe(
      'MandatoryConfigMapNotFound',
    );
    expect(await reasons({ containers: [{ name: 'm', envFrom: [{ secretRef: { name: 'gone' } }] }] })).toBe(
      'MandatorySecretNotFound',
    );
    expect(
      await reasons({
        containers: [{ name: 'm', env: [{ name: 'A', valueFrom: { configMapKeyRef: { name: 'there', key: 'b' } } }] }],
      }),
    ).toBe('MandatoryConfigMapKeyNotFound');
    expect(await reasons({ containers: [{ name: 'm' }], volumes: [{ name: 'v', configMap: { name: 'gone' } }] })).toBe(
      'MandatoryConfigMapNotFound',
    );
    expect(
      await reasons({
        containers: [{ name: 'm' }],
        volumes: [{ name: 'v', projected: { sources: [{ secret: { name: 'gone' } }] } }],
      }),
    ).toBe('MandatorySecretNotFound');
    expect(
      await reasons({
        containers: [{ name: 'm' }],
        volumes: [{ name: 'v', configMap: { name: 'there', items: [{ key: 'zz', path: 'zz' }] } }],
      }),
    ).toBe('MandatoryConfigMapKeyNotFound');
  });

  it('skips missing optional references and reports them as Optional…NotFound notices', async () => {
    const notices: InputNotice[] = [];
    const p = pod({
      containers: [
        {
          name: 'main',
          envFrom: [{ secretRef: { name: 'gone', optional: true } }],
          env: [
            { name: 'X', valueFrom: { secretKeyRef: { name: 'gone', key: 'k', optional: true } } },
            { name: 'Y', valueFrom: { configMapKeyRef: { name: 'there', key: 'nope', optional: true } } },
          ],
        },
      ],
      volumes: [
        { name: 'v', configMap: { name: 'gone', optional: true } },
        { name: 'w', secret: { secretName: 'gone', optional: true } },
      ],
    });
    const prepared = await preparePod(p, source({ there: { a: '1' } }, {}), { ...ctx, notice: (n) => notices.push(n) });
    expect(prepared.env.main).toEqual([]);
    expect(prepared.volumes).toEqual([
      { name: 'v', kind: 'files', files: [] },
      { name: 'w', kind: 'files', files: [] },
    ]);
    expect(notices.map((n) => n.reason)).toEqual([
      'OptionalSecretNotFound',
      'OptionalSecretNotFound',
      'OptionalConfigMapKeyNotFound',
      'OptionalConfigMapNotFound',
      'OptionalSecretNotFound',
    ]);
  });

  it('materialises configMap items, secrets, downward API and projected service-account tokens as files', async () => {
    const src = source(
      { settings: { 'a.conf': 'A', 'b.conf': 'B' }, 'kube-root-ca.crt': { 'ca.crt': 'CA' } },
      { creds: { token: 'T' } },
    );
    const p = pod({
      serviceAccountName: 'runner',
      containers: [{ name: 'main' }],
      volumes: [
        { name: 'work', emptyDir: {} },
        { name: 'cfg', configMap: { name: 'settings', items: [{ key: 'b.conf', path: 'sub/b' }] } },
        { name: 'sec', secret: { secretName: 'creds', defaultMode: 0o400 } },
        { name: 'info', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] } },
        {
          name: 'kube-api-access',
          projected: {
            sources: [
              { serviceAccountToken: { path: 'token', expirationSeconds: 3607 } },
              { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
              { downwardAPI: { items: [{ path: 'namespace', fieldRef: { fieldPath: 'metadata.namespace' } }] } },
            ],
          },
        },
      ],
    });
    const prepared = await preparePod(p, src, ctx);
    const files = (name: string) =>
      prepared.volumes.find((v) => v.name === name)?.files?.map((f) => [f.path, f.content.toString(), f.mode]);
    expect(prepared.volumes[0]).toEqual({ name: 'work', kind: 'emptyDir' });
    expect(files('cfg')).toEqual([['sub/b', 'B', 0o644]]);
    expect(files('sec')).toEqual([['token', 'T', 0o400]]);
    expect(files('info')).toEqual([['labels', 'app="x"', 0o644]]);
    expect(files('kube-api-access')?.map((f) => f.slice(0, 2))).toEqual([
      ['token', 'token-for-runner'],
      ['ca.crt', 'CA'],
      ['namespace', 'ci'],
    ]);
    expect(src.tokens).toEqual([
      { ns: 'ci', sa: 'runner', expirationSeconds: 3607, pod: { name: 'job-1', uid: 'u-1' } },
    ]);
  });

  it('refuses host paths and claims with a clear message', async () => {
    const p = pod({
      containers: [{ name: 'main' }],
      volumes: [{ name: 'h', hostPath: { path: '/var/run/docker.sock' } }],
    });
    await expect(preparePod(p, source({}, {}), ctx)).rejects.toThrow(
      /hostPath volumes are not supported on a virtual node/,
    );
  });

  it('passes nfs volumes to a backend that mounts them and refuses them for the others', async () => {
    const p = pod({
      containers: [{ name: 'main', volumeMounts: [{ name: 'share', mountPath: '/share' }] }],
      volumes: [
        { name: 'work', emptyDir: {} },
        { name: 'share', nfs: { server: 'nas-1.cn-hangzhou.nas.aliyuncs.com', path: '/ci/cache', readOnly: true } },
      ],
    });
    const eci = { ...ctx, nfsVolumes: true, backendName: 'eci' };
    expect((await preparePod(p, source({}, {}), eci)).volumes).toEqual([
      { name: 'work', kind: 'emptyDir' },
      {
        name: 'share',
        kind: 'nfs',
        nfs: { server: 'nas-1.cn-hangzhou.nas.aliyuncs.com', path: '/ci/cache', readOnly: true },
      },
    ]);
    // The docker backend (no nfsVolumes): refused before it is called, with the reason for the pod's message.
    const docker = preparePod(p, source({}, {}), { ...ctx, backendName: 'docker' });
    await expect(docker).rejects.toBeInstanceOf(InvalidInput);
    await expect(docker).rejects.toThrow(
      'volume share: nfs volumes are not supported on a virtual node with the docker backend (use emptyDir, configMap, secret, downwardAPI or projected)',
    );
    const bad = (nfs: { server: string; path: string }) =>
      preparePod(pod({ containers: [{ name: 'main' }], volumes: [{ name: 'n', nfs }] }), source({}, {}), eci);
    await expect(bad({ server: 'nas', path: 'relative/dir' })).rejects.toThrow(/nfs.path must be an absolute path/);
    await expect(bad({ server: ' ', path: '/x' })).rejects.toThrow(/nfs.server is required/);
  });
});

describe('expandVars and parseQuantity', () => {
  it('expands known variables and keeps unknown ones', () => {
    expect(expandVars('$(A)-$(B)-$$', new Map([['A', '1']]))).toBe('1-$(B)-$');
  });
  it('parses decimal and binary suffixes and rejects junk', () => {
    expect(parseQuantity('500m')).toBe(0.5);
    expect(parseQuantity('2Gi')).toBe(2 * 2 ** 30);
    expect(parseQuantity('1e3')).toBe(1000);
    expect(() => parseQuantity('12 apples')).toThrow(/invalid resource quantity/);
  });
});
