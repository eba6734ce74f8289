// The pure statistics live in core (the experiment module needs them); re-exported for the runner.
export { bootstrapMean, distribution, mean, percentile, round, seededRandom } from '../../core/stats.js';
