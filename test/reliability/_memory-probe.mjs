// Preloaded (node --expose-gc --import) into the server process of memory.test.ts, answering over the IPC channel:
// 'reset' collects garbage and resets the kernel's peak RSS to the current RSS (Linux: /proc/self/clear_refs);
// 'memory' reports the peak since then (VmHWM: no spike between samples is missed), the current RSS and the heap.
import { readFileSync, writeFileSync } from 'node:fs';

const kib = (field) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync('/proc/self/status', 'utf8'))?.[1]) * 1024;

process.on('message', (m) => {
  if (m === 'reset') {
    globalThis.gc?.();
    let reset = true;
    try { writeFileSync('/proc/self/clear_refs', '5'); } catch { reset = false; }
    process.send?.({ type: 'reset', reset });
  } else if (m === 'memory') {
    const { rss, heapUsed } = process.memoryUsage();
    let peakRss = kib('VmHWM');
    if (!Number.isFinite(peakRss)) peakRss = process.resourceUsage().maxRSS * 1024;
    process.send?.({ type: 'memory', peakRss, rss, heapUsed });
  }
});
// The channel must not keep the server alive once it has been told to stop.
process.channel?.unref();
