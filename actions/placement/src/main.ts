/**
 * `actions/placement`: reports where this job's pod runs, with what resources and image-cache settings, and how fast
 * it started — as outputs and a job summary. Placement itself is decided before the pod exists, from
 * `.github/eci-virtual.yml` at the job's commit (the controller, or `eci-virtual run`); a step can only report it.
 */
import * as core from '@actions/core';
import { describeError, POD_FACTS_ENV } from '@eci-virtual/contract';
import { parseFacts, placementOutputs, placementRows } from './report.js';

async function main(): Promise<void> {
  const facts = parseFacts(process.env[POD_FACTS_ENV]);
  for (const [k, v] of Object.entries(placementOutputs(facts))) core.setOutput(k, v);
  const rows = placementRows(facts);
  for (const [k, v] of rows) core.info(`${k}: ${v.replace(/<br>/g, ', ')}`);
  await core.summary
    .addHeading('Job placement (eci-virtual)', 3)
    .addTable([
      [
        { data: 'what', header: true },
        { data: 'value', header: true },
      ],
      ...rows,
    ])
    .write();
}

main().catch((err: unknown) => core.setFailed(describeError(err)));
