import { ensureDataset } from './data/datasets';
import { projectionOverhead } from '../tests/bench/pure-projection';
for (const name of ['se-bicycles-meta', 'generated-10k'] as const) {
  const { file } = await ensureDataset(name, { log: (l) => console.error(l) });
  for (let i = 0; i < 3; i++) console.log(name, JSON.stringify(await projectionOverhead(file)));
}
