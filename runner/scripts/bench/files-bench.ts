/**
 * Work-folder sync to a workload pod's agent (runner/src/hooks/workspace-sync.ts), measured on this machine against
 * a local agent over TCP on loopback: a first push of a ~50 MB `_actions`-like tree (20 actions, each a 1.5 MB
 * dist/index.js and 150 files of 1–12 KB), a push of the unchanged tree, a push after one file changed, a pull of
 * the whole tree, and a step's file-command round trip (push `_temp` with a new script and fresh file-command
 * files, pull `_temp/_runner_file_commands`).
 *   npx tsx runner/scripts/bench/files-bench.ts
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { describeError } from '@eci-virtual/contract';
import { pullTree, pushTree } from '../../src/hooks/workspace-sync.js';
import { AgentClient } from '../../src/step-transport/agent/client.js';
import { startLocalAgent } from '../../src/step-transport/agent/local-agent.js';
import { ensureAgent } from '../lib/agent-build.js';
import { ms, percentile, report, sample } from './stats.js';

function actionsTree(dir: string): { files: number; bytes: number } {
  let files = 0;
  let bytes = 0;
  for (let a = 0; a < 20; a++) {
    const root = join(dir, `owner${a}`, `action${a}`, 'v4');
    mkdirSync(join(root, 'dist'), { recursive: true });
    const big = randomBytes(1536 * 1024);
    writeFileSync(join(root, 'dist/index.js'), big);
    files++;
    bytes += big.length;
    for (let f = 0; f < 150; f++) {
      const sub = join(root, 'node_modules', `pkg${f % 15}`);
      mkdirSync(sub, { recursive: true });
      const body = randomBytes(1024 + ((f * 797) % 11) * 1024);
      writeFileSync(join(sub, `file${f}.js`), body);
      files++;
      bytes += body.length;
    }
  }
  return { files, bytes };
}

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

async function main(): Promise<void> {
  const binary = await ensureAgent((msg) => console.error(msg));
  const dir = mkdtempSync('/tmp/eci-files-bench-');
  const local = join(dir, '_work');
  const remote = join(dir, 'w');
  const port = await freePort();
  const agent = await startLocalAgent({
    binary,
    dir: join(dir, 'a'),
    flags: ['--listen', `127.0.0.1:${port}`, '--files-root', remote],
  });
  const client = new AgentClient({ host: '127.0.0.1', port, token: agent.token });
  try {
    const actions = join(local, '_actions');
    const tree = actionsTree(actions);
    const mb = (tree.bytes / 1e6).toFixed(1);
    let n = 0;
    const first = await sample(
      3,
      () => pushTree(client, actions, join(remote, `first${n}`), { manifestFile: join(dir, `m/first${n++}.json`) }),
      0,
    );
    report(
      `first push, ${tree.files} files, ${mb} MB`,
      ms(percentile(first, 50)),
      undefined,
      `min ${ms(Math.min(...first))}`,
    );
    const opts = { manifestFile: join(dir, 'm/actions.json') };
    await pushTree(client, actions, join(remote, '_actions'), opts);
    const unchanged = await sample(10, () => pushTree(client, actions, join(remote, '_actions'), opts));
    report(
      'push of the unchanged tree (p50)',
      ms(percentile(unchanged, 50)),
      undefined,
      `max ${ms(Math.max(...unchanged))}`,
    );
    let k = 0;
    const oneChanged = await sample(10, async () => {
      writeFileSync(join(actions, 'owner3/action3/v4/node_modules/pkg1/file1.js'), `changed ${k++}`);
      const r = await pushTree(client, actions, join(remote, '_actions'), opts);
      if (r.files !== 1) throw new Error(`expected one file sent, got ${r.files}`);
    });
    report('push after one file changed (p50)', ms(percentile(oneChanged, 50)));
    let p = 0;
    const pulls = await sample(3, () => pullTree(client, join(remote, '_actions'), join(dir, `pulled${p++}`)), 0);
    report(`pull of the tree, ${mb} MB (p50)`, ms(percentile(pulls, 50)));

    // A step's file commands: the runner writes a script and fresh file-command files, the step appends, we pull.
    const temp = join(local, '_temp');
    const commands = join(temp, '_runner_file_commands');
    mkdirSync(join(temp, '_github_workflow'), { recursive: true });
    writeFileSync(
      join(temp, '_github_workflow/event.json'),
      JSON.stringify({ ref: 'refs/heads/main', x: 'y'.repeat(20_000) }),
    );
    const tempOpts = { manifestFile: join(dir, 'm/temp.json') };
    const roundTrip = await sample(20, async () => {
      const guid = randomUUID();
      mkdirSync(commands, { recursive: true });
      for (const prefix of ['add_path_', 'set_env_', 'step_summary_', 'save_state_', 'set_output_'])
        writeFileSync(join(commands, prefix + guid), '');
      writeFileSync(join(temp, `${randomUUID()}.sh`), 'echo "x=1" >> "$GITHUB_OUTPUT"\n');
      await pushTree(client, temp, join(remote, '_temp'), tempOpts);
      writeFileSync(join(remote, '_temp/_runner_file_commands', `set_output_${guid}`), 'x=1\n'); // the step
      await pullTree(client, join(remote, '_temp/_runner_file_commands'), commands);
    });
    report(
      'file commands round trip: push _temp + pull (p50)',
      ms(percentile(roundTrip, 50)),
      undefined,
      `p90 ${ms(percentile(roundTrip, 90))}`,
    );
  } finally {
    client.close();
    await agent.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(`files bench failed: ${describeError(err)}`);
  process.exit(1);
});
