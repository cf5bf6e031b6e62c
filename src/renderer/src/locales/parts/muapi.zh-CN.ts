import type { MuApiMessages } from './muapi.en-US'

/** Mu API v2 面板（简体中文）。 */
const muapiZhCN: MuApiMessages = {
  tabs: {
    users: '用户',
    node: '节点用户',
  },
  users: {
    columns: {
      id: 'ID',
      user: '邮箱 / 用户名',
      enabled: '状态',
      port: '端口',
      method: '加密方式',
      up: '上传',
      down: '下载',
      quota: '已用 / 配额',
      lastUsed: '最后使用',
      uuid: 'V2Ray UUID',
      level: '等级',
    },
    shown: '显示 {shown} 个，共 {total} 个用户',
    search: '邮箱、用户名、ID 或端口',
    searchNode: '邮箱、用户名、UUID、ID 或端口',
    enabled: '已启用',
    disabled: '已禁用',
    disabledTip: '已在面板中禁用（enable = 0）：节点不为此用户提供服务。',
    never: '从未使用',
    withinMinute: '一分钟内',
    noQuota: '无配额',
    noQuotaTip:
      '未分配流量（transfer_enable 为 0）。ss-panel 的节点只在已用流量低于配额时为用户提供服务，因此在面板分配配额之前，此用户无法使用任何流量。',
    quotaTip: '已用 {used}，配额 {quota}（{share}）',
    notRead: '尚未读取用户。',
    noMatch: '没有符合搜索和筛选条件的用户。',
    empty: '面板中没有用户。',
  },
  filters: {
    state: {
      all: '全部',
      enabled: '已启用',
      disabled: '已禁用',
    },
    usage: {
      any: '不限用量',
      over: '超出配额',
      near: '接近配额（80–99 %）',
      never: '从未使用',
      recent: '24 小时内使用过',
    },
  },
  totals: {
    users: '用户',
    enabled: '已启用',
    disabled: '{n} 个已禁用',
    used: '已用流量',
    upDown: '↑ {up} · ↓ {down}',
    overQuota: '超出配额',
    nearQuota: '接近配额',
    neverUsed: '从未使用',
    show: '查看这些用户',
  },
  read: {
    updated: '{age}更新 · 每 {every} 秒刷新',
    reading: '正在读取…',
    never: '尚未读取',
    stale: '显示的是{age}读取的数据：最近一次读取失败',
  },
  errors: {
    users: '无法读取面板的用户',
    nodeUsers: '无法读取节点 {id} 的用户',
  },
  node: {
    label: '节点 ID',
    placeholder: '例如 3',
    show: '显示用户',
    invalid: '节点 ID 必须是不小于 1 的整数。',
    help: '节点配置中的 node_id，即节点上报流量时使用的 ID。',
    note: '以下是面板下发给节点 {id} 的用户（GET /nodes/{id}/users）及其 V2Ray 身份。面板按自己的规则挑选这些用户，因此此列表可能与完整的用户列表不同。',
    empty: '输入节点 ID，查看面板下发给该节点的用户。',
  },
}

export default muapiZhCN
