import * as core from './core.mjs';
core.saveState('phase', 'from-pre');
core.info(`pre ran; main not yet: ${core.getState('main') === ''}`);
