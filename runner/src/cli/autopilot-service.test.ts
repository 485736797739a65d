import { describe, expect, it } from '@jest/globals';
import { InvalidInput } from '@eci-virtual/contract';
import { parseAutopilotConfig } from '../controller/image-cache-autopilot/autopilot-config.js';
import { createLogger } from '../observability/logger.js';
import { autopilotService } from './autopilot-service.js';

const eci = { region: 'cn-hangzhou', vSwitchId: 'vsw-1', securityGroupId: 'sg-1', quota: 7 };

describe("the autopilot's warm-set service", () => {
  it('keeps ECI image caches with the credentials the environment holds, logging their kind only', async () => {
    const lines: string[] = [];
    const log = createLogger({}, { level: 'info', write: (l) => lines.push(l) });
    const secret = 'secret-value-never-logged';
    const { service, stop } = autopilotService(parseAutopilotConfig({ enabled: true, eci }), log, {
      ALIBABA_CLOUD_ACCESS_KEY_ID: 'LTAIexample',
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: secret,
    });
    expect(service.quota).toBe(7);
    await stop();
    const text = lines.join('\n');
    expect(text).toContain('"credentials":"access-key"');
    expect(text).not.toContain(secret);
    expect(text).not.toContain('LTAIexample');
  });

  it('refuses to start on ECI without credentials, saying how to give them', () => {
    let thrown: unknown;
    try {
      autopilotService(parseAutopilotConfig({ enabled: true, eci }), createLogger({}, { level: 'error' }), {});
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(InvalidInput);
    expect((thrown as InvalidInput).hint).toMatch(/ALIBABA_CLOUD_ACCESS_KEY_ID/);
  });

  it('pre-pulls on a docker engine, needing no cloud credentials', async () => {
    const { service, stop } = autopilotService(
      parseAutopilotConfig({ enabled: true, backend: 'docker', docker: { host: 'tcp://127.0.0.1:1', quota: 3 } }),
      createLogger({}, { level: 'error' }),
      {},
    );
    expect(service.quota).toBe(3);
    expect(await service.list()).toEqual([]);
    await stop();
  });
});
