import * as core from './core.mjs';
core.info(`post state phase=${core.getState('phase')} main=${core.getState('main')} env=${process.env.CORE_ENV}`);
