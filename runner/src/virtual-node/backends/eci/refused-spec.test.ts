/**
 * A pod spec ECI refuses (issue #19, runner/docs/bad-input.md): CreateContainerGroup answering a parameter error
 * (HTTP 400 `InvalidParameter...`, the ECI OpenAPI error body `{RequestId, Code, Message}`) is the typed, permanent
 * InvalidInput the node fails the pod with (pods/refused-pod.test.ts) — one call, not retried like throttling, and
 * the message carries ECI's code and text so the job shows why.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { InvalidInput } from '@eci-virtual/contract';
import { createLogger } from '../../../observability/logger.js';
import { clientFor, NODE, preparedPod, running, startEmulator } from '../../../../test/eci-emulator/fixtures.js';
import { EciBackend } from './eci-backend.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('EciBackend and a spec ECI refuses', () => {
  it('throws InvalidInput with the ECI code after one call, and creates nothing', async () => {
    const { emu } = await startEmulator({}, { timeScale: 1 });
    cleanups.push(() => emu.stop());
    const backend = running(
      new EciBackend({
        client: clientFor(emu),
        node: NODE,
        log: createLogger({}, { level: 'error' }),
        pollIntervalMs: 30,
      }),
      cleanups,
    );
    emu.injectFault({
      action: 'CreateContainerGroup',
      code: 'InvalidParameter.CpuMemory',
      status: 400,
      message: 'The specified cpu and memory are not a valid combination.',
    });
    const err = await backend
      .createPod(preparedPod([{ command: ['true'] }]), new AbortController().signal)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidInput);
    expect((err as Error).message).toMatch(/InvalidParameter\.CpuMemory: The specified cpu and memory/);
    expect(emu.count('CreateContainerGroup', 400)).toBe(1);
    expect(emu.count('CreateContainerGroup', 200)).toBe(0);
    expect(emu.groups.size).toBe(0);
  });
});
