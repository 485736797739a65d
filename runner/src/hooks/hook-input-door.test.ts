/**
 * Bad input at the container-hook door (issue #19, runner/docs/bad-input.md): the runner hands each hook process
 * one JSON object on stdin (actions/runner src/Runner.Worker/Container/ContainerHooks/HookInput.cs). Thousands of
 * seeded malformed inputs through runHook() must each end in the project's typed error (or a clean exit for a
 * cleanup with nothing to do) before anything is contacted; the real entry process exits 1 with one clear line.
 */
import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { EciVirtualError } from '@eci-virtual/contract';
import { mutate, seeded, type Random } from '../../test/fuzz/seeded.js';

process.env.ECI_VIRTUAL_HOOKS_NO_MAIN = '1';
// No pod identity in this process: input that passes every check stops at hookContext() with InvalidInput, so
// nothing here can reach an API server or an agent.
delete process.env.ECI_VIRTUAL_POD_NAME;
delete process.env.ECI_VIRTUAL_POD_NAMESPACE;
const { runHook } = await import('./index.js');

const SEED = 19_006;
const CASES = 3000;
const NOT_SET = /ECI_VIRTUAL_POD_NAME/;

const VALID = [
  {
    command: 'prepare_job',
    responseFile: '/tmp/r.json',
    args: {
      container: {
        image: 'node:20',
        environmentVariables: { A: 'b' },
        systemMountVolumes: [{ targetVolumePath: '/w' }],
      },
      services: [{ image: 'redis', portMappings: ['6379:6379'], entryPointArgs: [] }],
    },
    state: {},
  },
  {
    command: 'run_script_step',
    args: {
      entryPoint: 'bash',
      entryPointArgs: ['-e', '/x.sh'],
      environmentVariables: { A: 'b' },
      prependPath: ['/bin'],
      workingDirectory: '/__w/r/r',
    },
    state: { pod: { name: 'p', namespace: 'n' }, services: [], jobContainer: 'job' },
  },
  {
    command: 'run_container_step',
    args: { image: 'alpine', entryPoint: 'sh', entryPointArgs: ['-c', 'true'], userMountVolumes: [] },
    state: { pod: { name: 'p', namespace: 'n' }, services: ['svc-0'] },
  },
  { command: 'cleanup_job', args: {}, state: { remote: { pod: 'w' } } },
];

const ODD: unknown[] = [null, true, 0, -1, '', 'x', [], {}, [null], { a: null }, { a: 1 }, ['a', 1], Number.MAX_VALUE];

/** Replaces one value somewhere in the object with an odd one (or drops it). */
function corrupt(r: Random, v: unknown): unknown {
  if (typeof v !== 'object' || v === null || r.chance(0.2)) return r.pick(ODD);
  const copy = (Array.isArray(v) ? [...v] : { ...v }) as Record<string, unknown>;
  const keys = Object.keys(copy);
  if (!keys.length) return r.pick(ODD);
  const k = r.pick(keys);
  if (r.chance(0.15)) delete copy[k];
  else copy[k] = corrupt(r, copy[k]);
  return copy;
}

describe('hook input under bad input', () => {
  it(`${CASES} seeded malformed inputs end in a typed error before anything is contacted`, async () => {
    const r = seeded(SEED);
    const noise = ['{', '}', '[', ']', '"', ',', ':', 'null', '\\u0000', '\ud800', '"command"'];
    let parsedThrough = 0;
    for (let i = 0; i < CASES; i++) {
      const base = r.pick(VALID);
      let text = JSON.stringify(r.chance(0.7) ? corrupt(r, base) : base);
      if (r.chance(0.3)) for (let m = 1 + r.int(3); m > 0; m--) text = mutate(r, text, noise);
      try {
        expect(await runHook(text)).toBe(0); // only a cleanup with no workload pod has nothing to do
      } catch (err) {
        if (!(err instanceof EciVirtualError))
          throw new Error(`seed ${SEED} case ${i}: ${text} threw ${String(err)}`, { cause: err });
        if (NOT_SET.test(err.message)) parsedThrough++;
      }
    }
    // Both kinds of case occur: refused input, and input good enough to get to the (absent) pod identity.
    expect(parsedThrough).toBeGreaterThan(CASES / 20);
    expect(parsedThrough).toBeLessThan(CASES / 2);
  });

  it('names the field that is wrong', async () => {
    const state = { pod: { name: 'p', namespace: 'n' } };
    const cases: [unknown, RegExp][] = [
      [{ command: 'prepare_job', responseFile: '/r', args: { services: 'redis' } }, /args\.services must be a list/],
      [
        { command: 'prepare_job', responseFile: '/r', args: { services: [5] } },
        /args\.services\[0\] must be an object/,
      ],
      [{ command: 'prepare_job', responseFile: '/r', args: { container: { image: 7 } } }, /container\.image/],
      [
        { command: 'prepare_job', responseFile: '/r', args: { container: { environmentVariables: { A: 1 } } } },
        /container\.environmentVariables\.A must be a string/,
      ],
      [{ command: 'run_container_step', args: { userMountVolumes: [{}] }, state }, /userMountVolumes/],
      [{ command: 'run_container_step', args: 'alpine', state }, /run_container_step: args must be an object/],
      [{ command: 'run_script_step', args: {}, state: { ...state, services: 'x' } }, /services must be a list/],
      [{ command: 'run_script_step', args: {}, state: { pod: { name: 1, namespace: 'n' } } }, /pod\.name/],
    ];
    for (const [input, message] of cases) await expect(runHook(JSON.stringify(input))).rejects.toThrow(message);
  });

  it('exits 1 with one clear line on stderr from the real entry process', () => {
    const entry = fileURLToPath(new URL('./index.ts', import.meta.url));
    for (const [stdin, message] of [
      ['{"command":', /^eci-virtual hooks: hook input is not JSON: /],
      ['{"command":"rm -rf"}', /^eci-virtual hooks: hook input: unknown command "rm -rf"/],
      ['{"command":"run_script_step","args":{}}', /^eci-virtual hooks: hook state is missing/],
    ] as const) {
      const p = spawnSync(process.execPath, ['--import', 'tsx', entry], {
        input: stdin,
        env: { PATH: process.env.PATH },
        encoding: 'utf8',
        timeout: 30_000,
      });
      expect({ stdin, status: p.status }).toEqual({ stdin, status: 1 });
      expect(p.stderr).toMatch(message);
      expect(p.stderr.trim().split('\n')).toHaveLength(1);
    }
  }, 60_000);
});
