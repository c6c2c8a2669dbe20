/**
 * What `run` and `check` need beyond commander, behind one dynamic import:
 * esbuild then makes it one entry of the bundle, and a run reads 23
 * files at start instead of 34 (each file is a resolve, a read and a link:
 * about 8% of a 0-task run's CPU, measured on the bundle).
 */
export * from '../runner/playbook-run.js';
export * from '../runner/prepare.js';
export * from '../runner/redactor.js';
export * from '../runner/run-lock.js';
export * from '../runner/retry-file.js';
export * from '../runner/last-run.js';
export * from './extra-vars.js';
