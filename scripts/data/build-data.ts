// Builds (or finds in .bench/data/) the benchmark community files and prints what they hold.
// Usage: npx tsx scripts/data/build-data.ts [--force] [se-bicycles-meta|generated-10k|se-bicycles-meta-shards|generated-10k-shards ...]
// Without a name: the two single-document datasets.
import { ALL_DATASETS, DATASETS, ensureDataset, type DatasetName } from './datasets';

const force = process.argv.includes('--force');
const named = process.argv.slice(2).filter((a) => !a.startsWith('--')) as DatasetName[];
const unknown = named.filter((n) => !ALL_DATASETS.includes(n));
if (unknown.length) {
  console.error(`unknown dataset ${unknown.join(', ')}; known: ${ALL_DATASETS.join(', ')}`);
  process.exit(2);
}
for (const name of named.length ? named : DATASETS) {
  const { meta, file } = await ensureDataset(name, { force, log: (line) => console.error(line) });
  console.log(JSON.stringify({ ...meta, file }));
}
