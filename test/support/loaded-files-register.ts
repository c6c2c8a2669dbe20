/** Preload (node --import) that installs the hooks of loaded-files.ts in the process. */
import { register } from 'node:module';

register('./loaded-files.js', import.meta.url, { data: { output: process.env.SWARMPLAY_LOADED_FILES } });
