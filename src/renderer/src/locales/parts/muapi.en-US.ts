/**
 * Mu API v2 panel (English; the schema of the zh-CN part). No braces, `|`, `@` or `$` outside
 * placeholders.
 */
const muapiEnUS = {
  tabs: {
    users: 'Users',
    node: 'Node users',
  },
  users: {
    columns: {
      id: 'ID',
      user: 'Email / user name',
      enabled: 'State',
      port: 'Port',
      method: 'Method',
      up: 'Upload',
      down: 'Download',
      quota: 'Used / quota',
      lastUsed: 'Last used',
      uuid: 'V2Ray UUID',
      level: 'Level',
    },
    shown: '{shown} of {total} users',
    search: 'Email, name, id or port',
    searchNode: 'Email, name, UUID, id or port',
    enabled: 'enabled',
    disabled: 'disabled',
    disabledTip: 'Disabled in the panel (enable = 0): nodes do not serve this user.',
    never: 'never',
    withinMinute: 'within a minute',
    noQuota: 'no quota',
    noQuotaTip:
      'No transfer granted (transfer_enable is 0). ss-panel nodes serve a user only while the traffic used is below the quota, so this user gets no traffic until the panel grants a quota.',
    quotaTip: '{used} of {quota} used ({share})',
    notRead: 'The users have not been read yet.',
    noMatch: 'No user matches the search and filters.',
    empty: 'The panel has no users.',
  },
  filters: {
    state: {
      all: 'All',
      enabled: 'Enabled',
      disabled: 'Disabled',
    },
    usage: {
      any: 'Any usage',
      over: 'Over quota',
      near: 'Near quota (80–99 %)',
      never: 'Never used',
      recent: 'Used in 24 h',
    },
  },
  totals: {
    users: 'Users',
    enabled: 'Enabled',
    disabled: '{n} disabled',
    used: 'Traffic used',
    upDown: '↑ {up} · ↓ {down}',
    overQuota: 'Over quota',
    nearQuota: 'Near quota',
    neverUsed: 'Never used',
    show: 'Show them',
  },
  read: {
    updated: 'Updated {age} · every {every} s',
    reading: 'Reading…',
    never: 'Not read yet',
    stale: 'Showing data read {age}: the last read failed',
  },
  errors: {
    users: 'Could not read the panel’s users',
    nodeUsers: 'Could not read the users of node {id}',
  },
  node: {
    label: 'Node id',
    placeholder: 'e.g. 3',
    show: 'Show users',
    invalid: 'A node id is a whole number, 1 or more.',
    help: 'The node_id in the node’s config: the id the node reports its traffic under.',
    note: 'These are the users the panel hands to node {id} (GET /nodes/{id}/users), with their V2Ray identity. The panel picks them by its own rules, so this list can differ from the full users list.',
    empty: 'Enter a node id to see the users the panel hands to that node.',
  },
}

export type MuApiMessages = typeof muapiEnUS
export default muapiEnUS
