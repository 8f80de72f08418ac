// Registers ts-hooks.mjs; pass it to node as `--import <this file>` to run the lease test helpers.

import { register } from 'node:module';

register('./ts-hooks.mjs', import.meta.url);
