import { describe, expect, it } from 'vitest'
import { muUserName } from './adapter'

describe('muUserName', () => {
  it('prefers the email, then the user name, then #id', () => {
    expect(muUserName({ id: 3, email: 'a@example.com', userName: 'alice' })).toBe('a@example.com')
    expect(muUserName({ id: 3, email: null, userName: 'alice' })).toBe('alice')
    expect(muUserName({ id: 3, email: '', userName: null })).toBe('#3')
  })
})
