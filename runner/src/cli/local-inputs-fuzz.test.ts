/**
 * Bad input at the other text doors of `eci-virtual run` (issue #19, runner/docs/bad-input.md): `--env-file` /
 * `--secret-file` (dotenv) and the step file commands GITHUB_ENV/GITHUB_OUTPUT/GITHUB_PATH. Seeded mutations of
 * valid files each parse or give the project's typed error naming the source; none throws anything else or hangs.
 */
import { describe, expect, it } from '@jest/globals';
import { EciVirtualError } from '@eci-virtual/contract';
import { mutate, seeded, typedErrorOf } from '../../test/fuzz/seeded.js';
import { parseKeyValueFile, parsePathFile } from '../local-run/file-commands.js';
import { parseDotenv } from './dotenv.js';

const SEED = 19_007;
const CASES = 2000;

const DOTENV = `# comment
A=1
export B="two \\n lines \${A}"
C='single $A'
D=\`back\`
E="multi
line"
F=  spaced   # trailing
`;
const FILE_COMMANDS = `name=value
multi<<EOF
line 1
line 2
EOF
empty=
other<<ghadelimiter_1
x=y
ghadelimiter_1
`;
const NOISE = ['=', '"', "'", '`', '\\', '$', '${', '}', '#', '\n', '\r\n', '<<', 'EOF', 'export ', '\u0000', ' '];

describe('run input files under bad input', () => {
  it(`${CASES} mutated dotenv files and ${CASES} mutated file-command files parse or give a typed error`, () => {
    const r = seeded(SEED);
    let refused = 0;
    for (let i = 0; i < CASES; i++) {
      let env = DOTENV;
      let commands = FILE_COMMANDS;
      for (let m = 1 + r.int(3); m > 0; m--) {
        env = mutate(r, env, NOISE);
        commands = mutate(r, commands, NOISE);
      }
      const t0 = Date.now();
      try {
        parseDotenv(env, '.env');
      } catch (err) {
        if (!(err instanceof EciVirtualError)) throw new Error(`seed ${SEED} case ${i} dotenv ${JSON.stringify(env)}`);
        expect(err.message).toMatch(/^\.env:\d+: /);
        refused++;
      }
      typedErrorOf(() => parseKeyValueFile(commands, 'GITHUB_OUTPUT'), `seed ${SEED} case ${i} ${commands}`);
      typedErrorOf(() => parsePathFile(commands), `seed ${SEED} case ${i} ${commands}`);
      expect(Date.now() - t0).toBeLessThan(5000);
    }
    expect(refused).toBeGreaterThan(CASES / 20);
    expect(refused).toBeLessThan(CASES - CASES / 20);
  });
});
