/**
 * The servers preview: `nodedeck serve` answers `GET /servers-preview` (with the per-launch token
 * as a bearer token) from its static host, before the core has loaded, with the server list as
 * the core's `servers.list` gives it before the first probe: the config file's servers (no
 * secrets: the file has none), checked by the same schema, every state `unknown`, no secret or
 * certificate facts yet. The page draws the fleet from it while the core loads (bench B5); the
 * core's own list replaces it on connect. 204 = no preview (the demo, an unreadable config): the
 * page waits for the core.
 */
export const SERVERS_PREVIEW_PATH = '/servers-preview'
