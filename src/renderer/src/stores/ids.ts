/** Pinia store ids, in one place so two stores can never share one. */
export enum SetupStoreId {
  App = 'app',
  Servers = 'servers',
  Tabs = 'tabs',
  Users = 'users',
  Sessions = 'sessions',
  Notices = 'notices',
  Dialogs = 'dialogs',
  Accounts = 'accounts',
  WireGuard = 'wireguard',
  Certs = 'certs',
  Hy2Scale = 'hy2scale',
  Hy2Maintenance = 'hy2-maintenance',
  Hy2Network = 'hy2-network',
  PasarGuard = 'pasarguard',
}
