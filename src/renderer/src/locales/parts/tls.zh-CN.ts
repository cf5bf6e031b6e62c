import type tlsEnUS from './tls.en-US'

/** TLS 证书信任设置（简体中文）。 */
const tlsZhCN: typeof tlsEnUS = {
  title: 'TLS 证书',
  help: 'NodeDeck 如何校验此服务器的证书。公共证书无需设置；自签名证书需要提供其 CA 或固定指纹。',
  helpSelfSigned:
    '此类服务器始终使用 TLS，通常是自签名证书。请信任您为其生成的 CA 证书，或固定其指纹：在下方获取证书，与节点上的结果（openssl x509 -noout -fingerprint -sha256 -in ssl_cert.pem）核对后确认。',
  modes: {
    system: '系统 CA',
    ca: 'CA 证书',
    pin: '固定指纹',
  },
  caHelp: '签发服务器证书的 CA 的 PEM（或自签名证书本身）。主机名必须与证书中的名称一致。',
  caTooLarge: '该文件大于 64 KB，不是证书。',
  loadFile: '从文件加载…',
  pinHelp: '服务器证书的 SHA-256。出现任何其他证书时，NodeDeck 会在发送请求或密钥之前拒绝连接。',
  fetch: '获取证书',
  fetchHelp: '仅建立连接并读取证书：不会发送任何请求或密钥。',
  cert: {
    fingerprint: 'SHA-256',
    subject: '主题',
    issuer: '颁发者',
    selfSigned: '自签名',
    names: '名称',
    validity: '有效期',
    daysLeft: '剩余 {n} 天',
    system: '系统信任',
    trusted: '系统 CA 信任此地址的证书',
    untrusted: '系统不信任（{reason}）',
  },
  trust: '信任此证书',
  trustHelp: '为此服务器固定该指纹。请先与节点核对：位于您与节点之间的任何人都可能出示自己的证书。',
  changedTitle: '服务器出示了不同的证书',
  changed:
    '已固定的指纹为 {pinned}。如果节点证书是有意更新的，请先与其管理员核对新证书再信任；否则可能有人正在拦截连接。',
  matches: '服务器出示的是已固定的证书。',
}

export default tlsZhCN
