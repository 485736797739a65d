import * as core from '@actions/core';
core.saveState('phase', 'from-pre');
core.info(`pre ran; main not yet: ${core.getState('main') === ''}`);
