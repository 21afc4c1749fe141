import { describe, expect, it } from 'vitest';
import { CLOSING } from './se-interactions';

describe('closing comments', () => {
  it('are the ones that call a question off-topic, a duplicate, on hold or to be closed', () => {
    for (const text of [
      'This question appears to be off-topic because it is about biology rather than beer.',
      "I'm voting to close this question as off topic because it is about cooking.",
      'Possible duplicate of What is the difference between ale and lager?',
      'Put on hold as too broad by ...',
      'This looks primarily opinion-based to me.',
      'Closed as a duplicate.'
    ])
      expect(CLOSING.test(text), text).toBe(true);
  });

  it('are not comments that use "close" in the ordinary sense', () => {
    for (const text of ['It tastes close to a stout.', 'Keep the bottle closely sealed.', 'Welcome to the site! Great first question.'])
      expect(CLOSING.test(text), text).toBe(false);
  });
});
