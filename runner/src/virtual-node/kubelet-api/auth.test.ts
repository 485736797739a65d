import { describe, expect, it } from '@jest/globals';
import type { IncomingMessage } from 'node:http';
import type { KubeClients } from '../../kube/client.js';
import { ANONYMOUS, KubeAuthorizer } from './auth.js';

/** A request on a TLS socket without a verified client certificate and without an Authorization header. */
const bare = { socket: { authorized: false }, headers: {} } as unknown as IncomingMessage;

function kubeWithSar(allowed: (spec: { user: string; groups: string[] }) => boolean) {
  const reviews: { user: string; groups: string[]; resourceAttributes: Record<string, string> }[] = [];
  const kube = {
    authz: {
      createSubjectAccessReview: async ({ body }: { body: { spec: (typeof reviews)[number] } }) => {
        reviews.push(body.spec);
        return { status: { allowed: allowed(body.spec) } };
      },
    },
  } as unknown as KubeClients;
  return { kube, reviews };
}

describe('kubelet API authentication', () => {
  it('refuses a caller with neither client certificate nor token by default (401)', async () => {
    const { kube } = kubeWithSar(() => true);
    await expect(new KubeAuthorizer(kube, 'n1').authenticate(bare)).rejects.toMatchObject({ code: 'Unauthorized' });
  });

  it('with anonymous auth, such a caller is system:anonymous and RBAC decides through a SubjectAccessReview', async () => {
    const { kube, reviews } = kubeWithSar((s) => s.groups.includes('system:unauthenticated'));
    const auth = new KubeAuthorizer(kube, 'n1', { anonymous: true });
    const caller = await auth.authenticate(bare);
    expect(caller).toEqual(ANONYMOUS);
    await auth.authorize(caller, 'get', 'stats');
    expect(reviews[0]).toMatchObject({
      user: 'system:anonymous',
      groups: ['system:unauthenticated'],
      resourceAttributes: { verb: 'get', resource: 'nodes', subresource: 'stats', name: 'n1' },
    });
  });

  it('an anonymous caller RBAC does not allow is refused (403)', async () => {
    const { kube } = kubeWithSar(() => false);
    const auth = new KubeAuthorizer(kube, 'n1', { anonymous: true });
    await expect(auth.authorize(await auth.authenticate(bare), 'get', 'proxy')).rejects.toMatchObject({
      code: 'Forbidden',
    });
  });
});
