// Child process for the concurrent-writers test: many small edits on a shared database.
// argv: <db path> <writer name> <edit count> <shared tag id>
import { TaxonomyStore } from '../../src/taxonomy';

const [dbPath, who, countArg, sharedArg] = process.argv.slice(2);
const count = Number(countArg);
const sharedId = Number(sharedArg);
const store = TaxonomyStore.open(dbPath!);
for (let i = 0; i < count; i++) {
  const embedding = new Float32Array(16).fill(i / count);
  const tag = store.create({
    name: `${who}-${i}`,
    parentId: sharedId,
    definition: { kind: 'examples', examples: [{ faceId: `${who}-face-${i}`, image: null, embedding }], radius: 0.5 },
  });
  store.rename(tag.id, `${who}-${i}-renamed`);
  // Read-modify-write on a tag both writers touch: a lost update would drop an example.
  store.addExamples(sharedId, [{ faceId: `${who}-shared-${i}`, image: null, embedding }]);
}
store.close();
