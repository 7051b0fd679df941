// A link's room, name and transport are checked one by one: what is valid is kept, what
// is not comes back with its value and the reason, and the page joins only when all is well.
import { describe, expect, it } from 'vitest';
import { joinsAtOnce, readDeepLink } from '../../client/ui/deepLink.js';
import { displayNameProblem, roomNameProblem } from '../../client/call/validation.js';

describe('room and name rules', () => {
  it('says how long a too-long room or name is', () => {
    expect(roomNameProblem('r'.repeat(300))).toBe('Room names are at most 64 characters; this one has 300.');
    expect(displayNameProblem('n'.repeat(200))).toBe('Names are at most 40 characters; this one has 200.');
    expect(roomNameProblem('r'.repeat(64))).toBeUndefined();
    expect(displayNameProblem('n'.repeat(40))).toBeUndefined();
  });

  it('names the characters a room may not contain, each once', () => {
    expect(roomNameProblem('../../etc')).toBe('Room names may contain only letters, digits, "-", "_" and "."; not "/".');
    expect(roomNameProblem('a b?c/d')).toBe('Room names may contain only letters, digits, "-", "_" and "."; not spaces, "?" or "/".');
    expect(roomNameProblem('a!@#$%^&')).toMatch(/not "!", "@", "#", "\$", "%" and others\.$/);
    expect(roomNameProblem('team-standup_2.0')).toBeUndefined();
  });

  it('refuses empty values and control characters in names', () => {
    expect(roomNameProblem('')).toBe('Enter a room name.');
    expect(displayNameProblem('')).toBe('Enter your name.');
    expect(displayNameProblem('Ada\nLovelace')).toMatch(/control characters/);
  });
});

describe('reading a link', () => {
  it('joins at once with a valid room and name', () => {
    const link = readDeepLink('?room=standup&name=Ada&transport=tcp');
    expect(link).toEqual({ room: 'standup', name: 'Ada', transport: 'tcp', problems: {} });
    expect(joinsAtOnce(link)).toBe(true);
  });

  it('keeps a valid name when the room is bad, and says why the room is', () => {
    const link = readDeepLink(`?room=${encodeURIComponent('../../etc')}&name=Ada`);
    expect(link.name).toBe('Ada');
    expect(link.room).toBeUndefined();
    expect(link.problems.room).toEqual({ value: '../../etc', message: expect.stringMatching(/^The link's room cannot be used\. .*not "\/"\.$/) });
    expect(joinsAtOnce(link)).toBe(false);
  });

  it('keeps a valid room when the name is too long, with the name and its length', () => {
    const long = 'N'.repeat(200);
    const link = readDeepLink(`?room=standup&name=${long}`);
    expect(link.room).toBe('standup');
    expect(link.problems.name).toEqual({ value: long, message: "The link's name cannot be used. Names are at most 40 characters; this one has 200." });
    expect(joinsAtOnce(link)).toBe(false);
  });

  it('reports a 300-character room and an unknown transport, keeping the rest', () => {
    const link = readDeepLink(`?room=${'r'.repeat(300)}&name=Ada&transport=carrier-pigeon`);
    expect(link.problems.room?.message).toMatch(/this one has 300/);
    expect(link.transport).toBe('auto');
    expect(link.problems.transport?.message).toMatch(/unknown media transport; Auto is used/);
    expect(link.problems.transport?.message).not.toContain('carrier-pigeon');
    expect(link.name).toBe('Ada');
  });

  it('treats missing and blank values as absent, not as problems', () => {
    const link = readDeepLink('?room=%20%20&transport=');
    expect(link).toEqual({ transport: 'auto', problems: {} });
    expect(joinsAtOnce(link)).toBe(false);
    expect(joinsAtOnce(readDeepLink('?room=standup'))).toBe(false);
  });

  it('trims what it keeps', () => {
    expect(readDeepLink('?room=%20standup%20&name=%20Ada%20')).toMatchObject({ room: 'standup', name: 'Ada' });
  });
});
