/** The test strategy registry under the name worker threads import (`strategies`). */
export { testStrategies as strategies } from '../bench/results.js';
