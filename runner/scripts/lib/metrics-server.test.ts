import { describe, expect, it } from '@jest/globals';
import type { NetworkInterfaceInfo } from 'node:os';
import { hostAddress, metricsServerArgs, metricsServerObjects } from './metrics-server.js';
import type { Pki } from './pki.js';

// Addresses from the documentation ranges (RFC 5737 / RFC 3849).
const iface = (address: string, family: 'IPv4' | 'IPv6', internal: boolean) =>
  ({ address, family, internal, netmask: '', mac: '', cidr: null }) as unknown as NetworkInterfaceInfo;

const objects = metricsServerObjects({ address: '192.0.2.7', port: 20443, caBundle: 'Q0E=' });
const find = (kind: string, name?: string) =>
  objects.find((o) => o.kind === kind && (!name || (o.metadata as { name: string }).name === name)) as
    | Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any -- test reads nested fields
    | undefined;

describe('hostAddress', () => {
  it('takes the first non-loopback IPv4 address, skipping loopback and IPv6', () => {
    expect(
      hostAddress({
        lo: [iface('127.0.0.1', 'IPv4', true), iface('::1', 'IPv6', true)],
        eth0: [iface('2001:db8::2', 'IPv6', false), iface('192.0.2.2', 'IPv4', false)],
        podman0: [iface('198.51.100.1', 'IPv4', false)],
      }),
    ).toBe('192.0.2.2');
  });

  it('is undefined on a host with only loopback (the API server could not reach metrics-server)', () => {
    expect(hostAddress({ lo: [iface('127.0.0.1', 'IPv4', true)] })).toBeUndefined();
  });
});

describe('metricsServerObjects', () => {
  it('routes v1beta1.metrics.k8s.io to a selector-less Service whose EndpointSlice names the host and port', () => {
    const api = find('APIService', 'v1beta1.metrics.k8s.io')!;
    const svc = find('Service')!;
    const slice = find('EndpointSlice')!;
    expect(api.spec).toMatchObject({ group: 'metrics.k8s.io', version: 'v1beta1', caBundle: 'Q0E=' });
    expect(api.spec.insecureSkipTLSVerify).toBeUndefined();
    expect(api.spec.service).toEqual({ name: svc.metadata.name, namespace: svc.metadata.namespace, port: 443 });
    expect(svc.spec.selector).toBeUndefined();
    // Never a ClusterIP: an API server without aggregator routing would dial it, and nothing routes it here.
    expect(svc.spec.clusterIP).toBe('None');
    // The aggregator picks the slice port by the Service port's name, from slices labelled with the Service's name.
    expect(slice.metadata.namespace).toBe(svc.metadata.namespace);
    expect(slice.metadata.labels['kubernetes.io/service-name']).toBe(svc.metadata.name);
    expect(slice.ports).toEqual([{ name: svc.spec.ports[0].name, port: 20443, protocol: 'TCP' }]);
    expect(slice.endpoints).toEqual([{ addresses: ['192.0.2.7'], conditions: { ready: true } }]);
  });

  it('grants metrics-server what it uses, bound to its user, and metrics reading to the view role', () => {
    const role = find('ClusterRole', 'eci-virtual:metrics-server')!;
    expect(role.rules).toContainEqual({ apiGroups: [''], resources: ['nodes/metrics'], verbs: ['get'] });
    expect(role.rules).toContainEqual({
      apiGroups: [''],
      resources: ['pods', 'nodes'],
      verbs: ['get', 'list', 'watch'],
    });
    const bound = objects
      .filter((o) => o.kind === 'ClusterRoleBinding' || o.kind === 'RoleBinding')
      .map((b) => ({
        role: (b.roleRef as { name: string }).name,
        ns: (b.metadata as { namespace?: string }).namespace,
        users: (b.subjects as { kind: string; name: string }[]).map((s) => `${s.kind}:${s.name}`),
      }));
    expect(bound).toEqual(
      expect.arrayContaining([
        { role: 'eci-virtual:metrics-server', ns: undefined, users: ['User:eci-virtual-metrics-server'] },
        { role: 'system:auth-delegator', ns: undefined, users: ['User:eci-virtual-metrics-server'] },
        {
          role: 'extension-apiserver-authentication-reader',
          ns: 'kube-system',
          users: ['User:eci-virtual-metrics-server'],
        },
      ]),
    );
    const reader = find('ClusterRole', 'system:aggregated-metrics-reader')!;
    expect(reader.metadata.labels['rbac.authorization.k8s.io/aggregate-to-view']).toBe('true');
    expect(reader.rules).toEqual([
      { apiGroups: ['metrics.k8s.io'], resources: ['pods', 'nodes'], verbs: ['get', 'list', 'watch'] },
    ]);
  });
});

describe('metricsServerArgs', () => {
  it("reaches virtual nodes where they say: InternalIP/Hostname and the node's kubelet port, every 10 s", () => {
    const pki = { metricsServerServing: { cert: '/p/ms.crt', key: '/p/ms.key' } } as Pki;
    const args = metricsServerArgs({ pki, kubeconfig: '/k', port: 20443 });
    expect(args).toEqual(
      expect.arrayContaining([
        '--secure-port=20443',
        '--tls-cert-file=/p/ms.crt',
        '--kubeconfig=/k',
        '--kubelet-preferred-address-types=InternalIP,Hostname',
        '--kubelet-use-node-status-port',
        '--metric-resolution=10s',
        '--kubelet-request-timeout=5s',
      ]),
    );
  });
});
