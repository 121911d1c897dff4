// Child process for the crash tests.
// argv: <db path> <mode>
//   batch-crash:    one multi-statement batch, SIGKILLs itself before it commits
//   batch-complete: the same batch, committed
//   loop:           creates tags with many examples forever (the parent kills it at a random moment)
import { TaxonomyStore } from '../../src/taxonomy';

const [dbPath, mode] = process.argv.slice(2);
const store = TaxonomyStore.open(dbPath!);
const centre = new Float32Array(16).fill(0.25);

function batchOfEdits(kill: boolean): void {
  store.batch(() => {
    const parent = store.create({ name: 'surprise', definition: { kind: 'centre', centre, radius: 0.3 } });
    const child = store.create({ name: 'big surprise', parentId: parent.id, definition: { kind: 'centre', centre, radius: 0.2 } });
    const existing = store.list().find((t) => t.name === 'happy')!;
    store.rename(existing.id, 'joyful');
    store.move(child.id, existing.id);
    store.merge(existing.id, store.list().find((t) => t.name === 'content')!.id);
    if (kill) process.kill(process.pid, 'SIGKILL');
  });
}

if (mode === 'batch-crash') batchOfEdits(true);
else if (mode === 'batch-complete') batchOfEdits(false);
else if (mode === 'loop') {
  const examples = Array.from({ length: 300 }, (_, j) => ({ faceId: `f${j}`, image: null, embedding: new Float32Array(16).fill(j) }));
  for (let i = 0; ; i++) {
    store.create({ name: `loop-${i}`, definition: { kind: 'examples', examples: [examples[0]!, ...examples.slice(1)], radius: 1 } });
    if (i === 0) process.stdout.write('ready\n');
  }
}
store.close();
