// Example images: pixel-exact SVG (runs merged per row and colour) and the magnified perturbation.
import { describe, expect, it } from 'vitest';
import { perturbation, pixelSvg } from '../../src/report/images';

describe('example images', () => {
  it('draws a grey image as one path per value with horizontal runs merged', () => {
    // 3 x 2, one channel: row 0 = [0, 0, 255], row 1 = [255, 255, 255].
    const svg = String(pixelSvg({ shape: [2, 3, 1], data: [0, 0, 255, 255, 255, 255] }, 'a <b>', 60));
    expect(svg).toContain('viewBox="0 0 3 2" width="60" height="40"');
    expect(svg).toContain('aria-label="a &lt;b&gt;"');
    expect(svg).toContain('<path fill="#000000" d="M0 0h2v1h-2z"/>');
    expect(svg).toContain('<path fill="#ffffff" d="M2 0h1v1h-1zM0 1h3v1h-3z"/>');
  });

  it('draws RGB from three channels', () => {
    const svg = String(pixelSvg({ shape: [1, 1, 3], data: [255, 128, 0] }, 'x'));
    expect(svg).toContain('<path fill="#ff8000" d="M0 0h1v1h-1z"/>');
  });

  it('magnifies the perturbation so its largest change reaches full contrast around mid-grey', () => {
    const { pixels, gain } = perturbation([100, 100, 100], [110, 95, 100], [1, 3, 1]);
    expect(gain).toBeCloseTo(12.7, 6);
    expect(pixels.data).toEqual([255, Math.round(128 - 5 * 12.7), 128]);
    expect(perturbation([5], [5], [1, 1, 1])).toEqual({ pixels: { shape: [1, 1, 1], data: [128] }, gain: 1 });
  });
});
