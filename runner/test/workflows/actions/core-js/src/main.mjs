import * as core from '@actions/core';
const token = core.getInput('token');
core.setSecret(token);
core.info(`main token=${token}`);
core.setOutput('phase', core.getState('phase'));
core.exportVariable('CORE_ENV', `set by main at node ${process.version.split('.')[0]}`);
core.saveState('main', 'done');
