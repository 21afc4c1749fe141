import { describe, expect, it } from 'vitest';
import { profileBody, profileFields } from './profile';

describe('profile form', () => {
  it('saving the form again keeps the avatar, bio and links already published', () => {
    const published = { avatar: '🚲', bio: 'Rides at dawn', links: ['https://a.example/x', 'https://b.example'] };
    const body = profileBody('Alice', profileFields(published));
    expect(body).toEqual({ name: 'Alice', avatar: '🚲', bio: 'Rides at dawn', links: ['https://a.example/x', 'https://b.example'] });
  });

  it('leaves out empty fields and anything but http(s) links', () => {
    expect(profileBody('Bob', { avatar: ' ', bio: '', links: 'javascript:alert(1)\n  https://ok.example  \nftp://x' })).toEqual({
      name: 'Bob',
      avatar: undefined,
      bio: undefined,
      links: ['https://ok.example']
    });
  });
});
