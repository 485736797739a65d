// The parts of @actions/core (toolkit packages/core: file-command.ts prepareKeyValueMessage, core.ts) these scripts
// use, on Node's standard library only.
import fs from 'node:fs';
import os from 'node:os';
import { randomUUID } from 'node:crypto';

function fileCommand(variable, key, value) {
  const delimiter = `ghadelimiter_${randomUUID()}`;
  fs.appendFileSync(process.env[variable], `${key}<<${delimiter}${os.EOL}${value}${os.EOL}${delimiter}${os.EOL}`);
}

export const getInput = (name) => (process.env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] || '').trim();
export const setOutput = (name, value) => fileCommand('GITHUB_OUTPUT', name, value);
export const exportVariable = (name, value) => fileCommand('GITHUB_ENV', name, value);
export const saveState = (name, value) => fileCommand('GITHUB_STATE', name, value);
export const getState = (name) => process.env[`STATE_${name}`] || '';
export const setSecret = (value) => process.stdout.write(`::add-mask::${value}${os.EOL}`);
export const info = (message) => process.stdout.write(message + os.EOL);
