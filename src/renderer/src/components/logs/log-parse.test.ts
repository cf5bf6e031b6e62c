import { describe, expect, it } from 'vitest'
import { detectLevel } from './log-parse'

/** Lines as Xray 1.8 / 24.x and a WireGuard backend print them. */
const SAMPLES: [string, ReturnType<typeof detectLevel>][] = [
  ['2024/11/03 10:12:01.482311 [Info] [1936422071] proxy/vless/inbound: firstLen = 1437', 'info'],
  [
    '2024/11/03 10:12:01.482555 [Info] [1936422071] app/dispatcher: taking detour [DIRECT] for [tcp:www.google.com:443]',
    'info',
  ],
  [
    '2024/11/03 10:12:01.482701 [Debug] [1936422071] transport/internet/tcp: dialing TCP to tcp:www.google.com:443',
    'debug',
  ],
  ['2024/11/03 10:12:01.512000 [Warning] core: Xray 1.8.24 started', 'warning'],
  [
    '2024/11/03 10:12:05.000001 [Error] [2349823] app/proxyman/inbound: connection ends > proxy/vless/encoding: failed to read request version > EOF',
    'error',
  ],
  [
    '2024/11/03 10:12:05 [Error] failed to start: app/router: failed to build domain condition',
    'error',
  ],
  ['[Warning] core: Xray 1.8.24 started', 'warning'],
  [
    '2024/11/03 10:12:01 from 203.0.113.5:51234 accepted tcp:www.google.com:443 [VLESS TCP REALITY >> DIRECT] email: 1.alice',
    'access',
  ],
  [
    '2024/11/03 10:12:01.123456 from tcp:203.0.113.5:51234 accepted udp:1.1.1.1:53 [dns-in -> dns-out] email: 2.bob',
    'access',
  ],
  [
    '2024/11/03 10:12:01.123456 from [2001:db8::1]:443 accepted tcp:example.com:80 [in >> out]',
    'access',
  ],
  [
    '2024/11/03 10:12:01 203.0.113.5:0 rejected  proxy/vmess/encoding: invalid user > proxy/vmess: Not Found',
    'access',
  ],
  ['Xray 1.8.24 (Xray, Penetrates Everything.) 0a33d2a (go1.22.6 linux/amd64)', 'other'],
  ['A unified platform for anti-censorship.', 'other'],
  ['interface: wg0 peer(Zm9v…YmFy) - Received handshake initiation', 'other'],
  ['', 'other'],
  // A level word later in the line does not make it that level.
  ['2024/11/03 10:12:01 user said [Error] in a message', 'other'],
  ['2024/11/03 10:12:01 from nowhere something else [Error]', 'other'],
]

describe('detectLevel', () => {
  it.each(SAMPLES)('%s → %s', (line, level) => {
    expect(detectLevel(line)).toBe(level)
  })

  it('tolerates a trailing carriage return and leading spaces', () => {
    expect(detectLevel('  2024/11/03 10:12:01 [Info] x\r')).toBe('info')
    expect(detectLevel('2024/11/03 10:12:01 from 1.2.3.4:5 accepted tcp:a:1\r')).toBe('access')
  })
})
