import { describe, expect, it } from 'vitest';
import { boostFeatured, FEATURED_LIFT } from './featured-boost';
import type { Recommendation } from './for-member';

const rec = (thread: string, score: number): Recommendation => ({ thread, title: thread, author: 'a', createdAt: 0, score, explanation: { kind: 'recent' } });
const list = ['t0', 't1', 't2', 't3', 't4', 't5', 't6'].map((t, i) => rec(t, 10 - i));

describe('featured threads in For you', () => {
  it('a featured thread moves up FEATURED_LIFT places, ahead of the thread it lands beside, and is marked', () => {
    const out = boostFeatured(list, new Set(['t5']), 7);
    expect(out.map((r) => r.thread)).toEqual(['t0', 't1', 't5', 't2', 't3', 't4', 't6']);
    expect(out.indexOf(out.find((r) => r.thread === 't5')!)).toBe(5 - FEATURED_LIFT);
    expect(out.filter((r) => r.featured).map((r) => r.thread)).toEqual(['t5']);
  });

  it('does not pass the member’s best fit by more than the lift, and keeps everything else in order', () => {
    expect(boostFeatured(list, new Set(['t1']), 3).map((r) => r.thread)).toEqual(['t1', 't0', 't2']);
    expect(boostFeatured(list, new Set(), 4).map((r) => r.thread)).toEqual(['t0', 't1', 't2', 't3']);
  });

  it('lifts a featured thread from just below the cut into the top k, and brings in none the models did not pick', () => {
    const out = boostFeatured(list, new Set(['t6', 'elsewhere']), 5);
    expect(out.map((r) => r.thread)).toEqual(['t0', 't1', 't2', 't6', 't3']);
  });
});
