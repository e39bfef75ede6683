// Progress on stderr: a live bar on a terminal, a line every few percent otherwise (CI logs).
import cliProgress from 'cli-progress';

export interface Progress {
  update(done: number, total: number, label: string): void;
  stop(): void;
}

export function createProgress(quiet: boolean): Progress {
  if (quiet) return { update() {}, stop() {} };
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      { format: 'auditing [{bar}] {percentage}% | {value}/{total} chunks | eta {eta_formatted} | {label}', stream: process.stderr, hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      update(done, total, label) {
        if (!started) (bar.start(total, done, { label }), (started = true));
        else bar.update(done, { label });
      },
      stop: () => started && bar.stop(),
    };
  }
  let lastPct = -1;
  return {
    update(done, total, label) {
      const p = Math.floor((100 * done) / Math.max(total, 1));
      if (p >= lastPct + 10 || done === total) {
        lastPct = p;
        process.stderr.write(`auditing ${p}% (${done}/${total} chunks) ${label}\n`);
      }
    },
    stop() {},
  };
}
