// Small things a newcomer met: the loss chart's step labels, and the icon browsers request.
import { describe, expect, it } from 'vitest';
import { renderLossChart } from '../../src/report/loss';
import { stepTicks } from '../../src/report/loss-scales';
import { makeApp } from '../routes/_app';

describe('loss chart x-axis', () => {
  it('labels evenly spaced integer steps, at most five', () => {
    expect(stepTicks(6)).toEqual([0, 2, 4, 6]);
    expect(stepTicks(7)).toEqual([0, 2, 4, 6]);
    expect(stepTicks(1)).toEqual([0, 1]);
    expect(stepTicks(4)).toEqual([0, 1, 2, 3, 4]);
    expect(stepTicks(61)).toEqual([0, 20, 40, 60]);
    for (let x = 1; x < 3000; x += 7) {
      const t = stepTicks(x);
      expect(t.length).toBeLessThanOrEqual(5);
      expect(t.length).toBeGreaterThanOrEqual(2);
      expect(new Set(t.slice(1).map((v, i) => v - t[i]!)).size).toBe(1);
    }
    const points = Array.from({ length: 7 }, (_, step) => ({ step, batches: step, samples: step, loss: 1 / (step + 1), ce: 1 / (step + 1) }));
    const labels = [...renderLossChart(points, 'loss').matchAll(/<text [^>]*y="238"[^>]*>(\d+)<\//g)].map((m) => Number(m[1]));
    expect(labels).toEqual([0, 2, 4, 6]);
  });
});

describe('/favicon.ico', () => {
  it('is an icon, not a 404', async () => {
    const t = await makeApp();
    const res = await t.req('/favicon.ico');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/svg+xml');
    expect(await res.text()).toMatch(/^<svg /);
  });
});
