/** How an https server is trusted (the add dialog's TLS section). English; the schema of zh-CN. */
const tlsEnUS = {
  title: 'TLS certificate',
  help: 'How NodeDeck checks this server’s certificate. Public certificates need nothing; a self-signed one needs its CA or a pinned fingerprint.',
  helpSelfSigned:
    'These servers always speak TLS, usually with a self-signed certificate. Trust the CA certificate you made for it, or pin its fingerprint: fetch it below, compare it with the node (openssl x509 -noout -fingerprint -sha256 -in ssl_cert.pem) and confirm.',
  modes: {
    system: 'System CAs',
    ca: 'CA certificate',
    pin: 'Pinned fingerprint',
  },
  caHelp:
    'The PEM of the CA that signed the server’s certificate (or the self-signed certificate itself). The host name must match its names.',
  caTooLarge: 'That file is larger than 64 KB: it is not a certificate.',
  loadFile: 'Load file…',
  pinHelp:
    'SHA-256 of the server’s certificate. NodeDeck refuses any other certificate before it sends a request or the key.',
  fetch: 'Fetch certificate',
  fetchHelp: 'Connects and reads the certificate only: no request and no key is sent.',
  cert: {
    fingerprint: 'SHA-256',
    subject: 'Subject',
    issuer: 'Issuer',
    selfSigned: 'self-signed',
    names: 'Names',
    validity: 'Valid',
    daysLeft: '{n} days left',
    system: 'System trust',
    trusted: 'Trusted by the system’s CAs for this address',
    untrusted: 'Not trusted by the system ({reason})',
  },
  trust: 'Trust this certificate',
  trustHelp:
    'Pins this fingerprint for this server. Check it against the node first: whoever sits between you and the node could present their own.',
  changedTitle: 'The server presents a different certificate',
  changed:
    'The pinned fingerprint is {pinned}. If the node’s certificate was renewed on purpose, check the new one with its admin before trusting it; otherwise someone may be intercepting the connection.',
  matches: 'The server presents the pinned certificate.',
}

export default tlsEnUS
