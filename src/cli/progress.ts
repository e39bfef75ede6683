// Progress on stderr: a live bar on a terminal, otherwise a line every few percent (CI logs).
import cliProgress from 'cli-progress';

export interface Progress {
  /** `label`: what is being done now (a chunk id, a step's loss). */
  update(done: number, total: number, label: string): void;
  stop(): void;
}

/** `verb` and `unit` name the work, e.g. ('auditing', 'chunks') or ('retraining', 'steps'). */
export function createProgress(quiet: boolean, verb = 'auditing', unit = 'chunks'): Progress {
  if (quiet) return { update() {}, stop() {} };
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      { format: `${verb} [{bar}] {percentage}% | {value}/{total} ${unit} | eta {eta_formatted} | {label}`, stream: process.stderr, hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      update(done, total, label) {
        if (!started) (bar.start(total, done, { label }), (started = true));
        else bar.update(done, { label });
      },
      stop() {
        if (started) (bar.stop(), (started = false));
      },
    };
  }
  let lastPct = -1;
  return {
    update(done, total, label) {
      const p = Math.floor((100 * done) / Math.max(total, 1));
      if (p >= lastPct + 10 || done === total) {
        lastPct = p;
        process.stderr.write(`${verb} ${p}% (${done}/${total} ${unit}) ${label}\n`);
      }
    },
    stop() {},
  };
}
