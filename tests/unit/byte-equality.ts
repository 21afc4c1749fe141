// Vitest setup (vite.config.ts `test.setupFiles`): two byte arrays are equal when their bytes are.
// Vitest's own deep equality walks a typed array index by index, each element through every tester:
// doc-host.test's check that a 521 KB sync reply goes out as it is took 15.5 s of its 20 s timeout
// that way (and failed a full run at load 10), where comparing the bytes whole takes under a millisecond.
import { expect } from 'vitest';

// Once per worker: Vitest keeps equality testers for the life of the process, and this file runs again
// before each test file, so a worker that runs many files would otherwise ask each pair of values once per file.
const added = Symbol.for('hearth.byte-equality');
const scope = globalThis as { [added]?: true };
if (!scope[added]) {
  scope[added] = true;
  expect.addEqualityTesters([
    function bytesEqual(a: unknown, b: unknown): boolean | undefined {
      // Byte arrays of the same class on both sides (two Uint8Arrays, two Buffers); anything else,
      // other typed arrays among them (-0 and NaN are not a matter of bytes), is Vitest's to judge.
      if (!(a instanceof Uint8Array) || !(b instanceof Uint8Array) || a.constructor !== b.constructor) return undefined;
      return a.length === b.length && Buffer.compare(a, b) === 0;
    }
  ]);
}
