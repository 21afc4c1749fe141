// Runs shell commands at the same time and fails if any of them fails: `npm test` checks types and
// lints side by side, as neither uses more than one core for long. Each command's output is printed
// whole when it ends (not interleaved), headed by the command and how long it took.
// Usage: node scripts/parallel.js "npm run check" "npm run lint"
import { spawn } from 'node:child_process';

const commands = process.argv.slice(2);
if (!commands.length) {
  console.error('usage: node scripts/parallel.js "<command>" ["<command>" …]');
  process.exit(2);
}

const results = await Promise.all(
  commands.map(
    (command) =>
      new Promise((resolve) => {
        const started = Date.now();
        const child = spawn(command, { shell: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: process.env.FORCE_COLOR ?? '1' } });
        const out = [];
        child.stdout.on('data', (b) => out.push(b));
        child.stderr.on('data', (b) => out.push(b));
        let ended = false;
        const done = (code) => {
          if (ended) return;
          ended = true;
          const seconds = ((Date.now() - started) / 1000).toFixed(1);
          process.stdout.write(`\n> ${command} (${code === 0 ? 'passed' : `failed, exit ${code}`}, ${seconds} s)\n`);
          process.stdout.write(Buffer.concat(out));
          resolve(code);
        };
        child.on('error', (error) => {
          out.push(Buffer.from(`${error.message}\n`));
          done(1);
        });
        child.on('close', (code, signal) => done(code ?? (signal ? 1 : 0)));
      })
  )
);
const failed = results.filter((code) => code !== 0).length;
if (failed) {
  console.error(`\n${failed} of ${commands.length} commands failed`);
  process.exit(1);
}
