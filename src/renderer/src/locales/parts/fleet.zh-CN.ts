import type fleetEnUS from './fleet.en-US'

/** 总览标签页：合计、工具栏、表格、卡片和跨服务器用户搜索。 */
const fleetZhCN: typeof fleetEnUS = {
  empty: '还没有服务器。添加一台即可开始监控。',
  noMatch: '没有服务器符合筛选条件。',
  total: '服务器',
  stale: '来自 {t} 的读数（最近一次读取失败或已过时）',
  columns: {
    certs: '证书',
    name: '名称',
    kind: '类型',
    group: '分组',
    tags: '标签',
    state: '状态',
    latency: '延迟',
    online: '在线',
    upRate: '上行',
    downRate: '下行',
    spark: '速率',
    traffic: '流量',
    lastCheck: '上次检查',
    reason: '原因',
  },
  totals: {
    online: '在线用户',
    rate: '速率',
    traffic: '流量',
    unknownOf: '（不含 {n} 台服务器）',
    filterState: '只显示此状态的服务器（再点一次显示全部）',
  },
  toolbar: {
    filter: '筛选服务器：名称、地址、分组、标签',
    kinds: '类型',
    groups: '分组',
    tags: '标签',
    clear: '清除筛选',
    grouped: '按分组',
    table: '表格',
    cards: '卡片',
  },
  group: {
    none: '未分组',
    servers: '{n} 台服务器',
    online: '{n} 个用户在线',
    notOnline: '{n} 台不在线',
  },
  cards: {
    online: '{n} 在线',
  },
  search: {
    placeholder: '在所有服务器上查找用户：名称、密钥或 IP',
    found: '未找到用户 | 找到 {n} 个用户 | 找到 {n} 个用户',
    took: '用时 {ms} 毫秒',
    hint: '点击用户即可打开其所在服务器。',
    none: '没有任何服务器上的用户匹配“{q}”。',
    open: '在 {server} 上查看此用户',
    offline: '离线',
    devices: '{n} 台设备 | {n} 台设备 | {n} 台设备',
    columns: {
      user: '用户',
      server: '服务器',
      match: '匹配项',
      online: '在线',
    },
    fields: {
      name: '名称',
      key: '密钥',
      ip: 'IP',
    },
  },
}

export default fleetZhCN
