import { describe, expect, it } from 'vitest';
import { boxToPercent, scaleBox } from './geometry.js';
import { bestMatch } from './format.js';

describe('boxToPercent', () => {
  it('places a box in percent of the original image, so it holds at any display size', () => {
    const p = boxToPercent({ x: 400, y: 100, width: 200, height: 300 }, 2000, 1000);
    expect(p).toEqual({ left: '20.0000%', top: '10.0000%', width: '10.0000%', height: '30.0000%' });
  });

  it('clamps boxes that run over the edge', () => {
    const p = boxToPercent({ x: -10, y: 900, width: 50, height: 200 }, 1000, 1000);
    expect(p).toEqual({ left: '0.0000%', top: '90.0000%', width: '4.0000%', height: '10.0000%' });
  });

  it('gives nothing without image size', () => {
    expect(boxToPercent({ x: 0, y: 0, width: 1, height: 1 }, 0, 0)).toBeNull();
  });
});

describe('scaleBox', () => {
  it('scales to the displayed size', () => {
    expect(scaleBox({ x: 100, y: 50, width: 200, height: 100 }, 1920, 1080, 960, 540)).toEqual({ x: 50, y: 25, width: 100, height: 50 });
  });
});

describe('bestMatch', () => {
  it('picks the most similar match', () => {
    const face = { matches: [{ displayName: 'a', similarity: 0.5 }, { displayName: 'b', similarity: 0.8 }] };
    expect(bestMatch(face).displayName).toBe('b');
    expect(bestMatch({ matches: [] })).toBeNull();
  });
});
