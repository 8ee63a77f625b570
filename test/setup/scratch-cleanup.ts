import { afterAll } from '@jest/globals';
import { removeScratch } from '../helpers/scratch.js';

afterAll(removeScratch);
