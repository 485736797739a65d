import { describe, expect, it } from '@jest/globals';
import { exitFromStatus } from './exec-framing.js';

// The metav1.Status objects the kubelet writes on the v5.channel.k8s.io error stream
// (k8s.io/kubelet/pkg/cri/streaming/remotecommand: writeStatus), read as client-go's errorDecoderV4 reads them.
describe('exec status (stream 3)', () => {
  it('reads Success as 0 and NonZeroExitCode as the ExitCode cause', () => {
    expect(exitFromStatus({ status: 'Success' })).toEqual({ exitCode: 0 });
    expect(
      exitFromStatus({
        status: 'Failure',
        reason: 'NonZeroExitCode',
        message: 'command terminated with non-zero exit code: exit status 137',
        details: { causes: [{ reason: 'ExitCode', message: '137' }] },
      }),
    ).toEqual({ exitCode: 137 });
  });

  it('reports other failures, and a NonZeroExitCode without a usable cause, as errors', () => {
    expect(
      exitFromStatus({ status: 'Failure', reason: 'InternalError', message: 'Internal error occurred: x' }),
    ).toEqual({ error: 'Internal error occurred: x' });
    expect(exitFromStatus({ status: 'Failure', reason: 'NonZeroExitCode', details: { causes: [] } })).toHaveProperty(
      'error',
    );
    expect(
      exitFromStatus({
        status: 'Failure',
        reason: 'NonZeroExitCode',
        details: { causes: [{ reason: 'ExitCode', message: 'x' }] },
      }),
    ).toHaveProperty('error');
    // The invented `{exitCode}` of earlier versions is not a status.
    expect(exitFromStatus({ exitCode: 0 } as never)).toHaveProperty('error');
  });
});
