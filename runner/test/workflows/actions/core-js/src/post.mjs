import * as core from '@actions/core';
core.info(`post state phase=${core.getState('phase')} main=${core.getState('main')} env=${process.env.CORE_ENV}`);
