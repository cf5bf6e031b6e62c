import { describe, it, expect } from 'vitest'
import { redactSecrets, redactUrl } from './redact'

describe('redactUrl', () => {
  it('masks secret query values and keeps the others', () => {
    expect(redactUrl('http://h:9999/traffic?token=abc&key=xyz&clear=1')).toBe(
      'http://h:9999/traffic?token=***&key=***&clear=1',
    )
  })

  it('knows the usual names of secret parameters, case-insensitively', () => {
    for (const name of [
      'token',
      'TOKEN',
      'key',
      'api_key',
      'apikey',
      'api-key',
      'apiKey',
      'secret',
      'password',
      'passwd',
      'pass',
      'auth',
      'access_token',
      'access-token',
      'accessToken',
    ]) {
      const out = redactUrl(`https://h/p?${name}=hunter2`)
      expect(out, name).toBe(`https://h/p?${name}=***`)
    }
  })

  it('does not mask parameters that merely contain a secret-ish word', () => {
    expect(redactUrl('http://h/?keyword=abc&tokens=2')).toBe('http://h/?keyword=abc&tokens=2')
  })

  it('masks every occurrence of a repeated secret parameter', () => {
    const out = redactUrl('http://h/?token=a1&token=b2&x=1')
    expect(out).not.toMatch(/a1|b2/)
    expect(out).toContain('token=***')
    expect(out).toContain('x=1')
  })

  it('masks user and password in the authority', () => {
    const out = redactUrl('http://admin:hunter2@h:8080/api')
    expect(out).not.toContain('admin')
    expect(out).not.toContain('hunter2')
    expect(out).toBe('http://***:***@h:8080/api')
    expect(redactUrl('http://onlyuser@h/')).toBe('http://***@h/')
  })

  it('masks percent-encoded and empty-looking values alike', () => {
    expect(redactUrl('http://h/?token=a%20b%26c')).toBe('http://h/?token=***')
    expect(redactUrl('http://h/?token=')).toBe('http://h/?token=***')
  })

  it('accepts URL objects and leaves URLs without secrets unchanged', () => {
    expect(redactUrl(new URL('http://127.0.0.1:9999/online'))).toBe('http://127.0.0.1:9999/online')
  })

  it('never echoes an unparseable input', () => {
    expect(redactUrl('not a url ?token=abc')).toBe('[invalid url]')
    expect(redactUrl('')).toBe('[invalid url]')
  })
})

describe('redactSecrets', () => {
  it('replaces every occurrence of every secret', () => {
    expect(redactSecrets('a=hunter2; b=hunter2; c=pa55', ['hunter2', 'pa55'])).toBe(
      'a=***; b=***; c=***',
    )
  })

  it('masks the longest secret first so a secret containing another is fully hidden', () => {
    expect(redactSecrets('value: abcdef', ['abc', 'abcdef'])).toBe('value: ***')
  })

  it('masks short secrets too and ignores empty or missing ones', () => {
    expect(redactSecrets('x=ab', ['ab', '', null, undefined])).toBe('x=***')
    expect(redactSecrets('unchanged', [])).toBe('unchanged')
    expect(redactSecrets('unchanged', [''])).toBe('unchanged')
  })

  it('treats secrets literally, not as patterns', () => {
    expect(redactSecrets('p=a.b*c and axbc', ['a.b*c'])).toBe('p=*** and axbc')
  })

  it("does not reorder the caller's array", () => {
    const list = ['a', 'abc']
    redactSecrets('abc', list)
    expect(list).toEqual(['a', 'abc'])
  })
})
