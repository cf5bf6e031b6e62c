/** The traffic bridges (Bridges tab, add dialog, fleet badges). English; the schema of zh-CN. */
const bridgesEnUS = {
  tab: 'Bridges',
  tabAttention:
    '{n} bridge needs your decision | {n} bridge needs your decision | {n} bridges need your decision',
  tabFailing: '{n} bridge is failing | {n} bridge is failing | {n} bridges are failing',
  title: 'Traffic bridges',
  intro:
    'A bridge reads the per-user traffic of a Hysteria 2 or HY2 SCALE server and reports it to a node of a Mu API v2 panel, in one batch per interval, with the number of users online. Every reading is journaled first, so no byte is reported twice or lost, even if NodeDeck or the panel fails in between.',
  add: 'Add bridge',
  empty: 'No bridges yet. Add one to report a server’s traffic to a Mu API panel.',
  loadError: 'NodeDeck could not list the bridges: {message}',
  states: {
    idle: 'running',
    running: 'reporting…',
    paused: 'paused',
    error: 'failing',
    needs_attention: 'needs your decision',
    stopped: 'stopped',
  },
  stateFor: 'for {t}',
  node: 'node {n}',
  rules: {
    id: {
      label: 'User id',
      short: 'by user id',
      help: 'The source user name is the panel user’s id (a number, e.g. 42).',
    },
    email: {
      label: 'Email',
      short: 'by email',
      help: 'The source user name is the panel user’s email address (upper or lower case does not matter).',
    },
    port: {
      label: 'Port',
      short: 'by port',
      help: 'The source user name is the panel user’s Shadowsocks port (e.g. 10042).',
    },
  },
  every: 'every {t}',
  rateShort: 'rate ×{rate}',
  actions: {
    run: 'Run now',
    runBlocked: 'Decide about the batch below first: nothing is sent until you do.',
    pause: 'Pause',
    resume: 'Resume',
  },
  verify: {
    title: 'The panel’s answer to batch #{id} was lost',
    body: 'The panel may or may not have counted it. Before sending anything else, NodeDeck compares the panel’s counters with what was sent ({when}), so nothing is counted twice.',
  },
  errorAt: '{title} — {server}',
  errorRetry:
    'NodeDeck tries again {when}, waiting longer after each failure. The source is still read and journaled meanwhile: nothing is lost.',
  errorLast: 'This was the last failure; the bridge goes on.',
  facts: {
    lastReport: 'Last report',
    nextRun: 'Next report',
    lastRead: 'Last source reading: {t}',
    nextRead: 'Next source reading',
    pending: 'Waiting for the next report',
    inflight: 'Being reported',
    acked: 'Counted by the panel',
    ackedHint: 'in all, raw bytes before the node’s rate',
    online: 'Online count',
    runner: 'Run by',
    unmatched: 'Without a panel user ({n}):',
  },
  users: 'no users | {n} user | {n} users',
  batch: 'batch #{id}',
  outcome: {
    sending: 'sending',
    unknown: 'answer lost',
  },
  attempts: '{n} attempt | {n} attempt | {n} attempts',
  none: 'nothing',
  onlineCount: '{n} online | {n} online | {n} online',
  reported: 'reported {t}',
  onlineOff: 'not reported (off)',
  runner: {
    self: 'this app (pid {pid})',
    other: 'another process (pid {pid}, {owner})',
    otherHint:
      'Another NodeDeck process runs this bridge; this window only shows it. Stop that process to run it here.',
    stoppedHint: 'Not running in this app right now. Run now sends one report.',
  },
  unmatchedHint:
    'No panel user matches these names ({rule}). Their bytes are kept in the journal and reported once a matching user exists:',
  allMatched: 'none: every source user has a panel user.',
  time: {
    now: 'now',
    in: 'in {t}',
  },
  bytesExact: 'upload {u} B, download {d} B',
  attention: {
    title: 'Batch #{id} needs your decision',
    intro:
      'The panel’s answer to this report was lost, and its counters do not show for sure whether it counted it. Nothing more is sent to the panel until you decide; new traffic keeps being journaled.',
    reason: 'Why:',
    at: 'Found {t}.',
    cols: {
      user: 'Panel user',
      sent: 'Sent',
      expected: 'Would add (×{rate})',
      before: 'Panel before',
      after: 'Panel now',
      change: 'Change',
      verdict: 'Counters say',
    },
    verdicts: {
      applied: 'counted',
      unchanged: 'not counted',
      either: 'could be either',
      unclear: 'unclear',
    },
    verdictHelp:
      '“Could be either”: the rise expected is 0 (a few bytes on a node with a rate below 1) or the user is gone from the panel. Other nodes may report to the same users, so a counter can also move for other reasons: compare with the panel’s own traffic log if in doubt.',
    suggest: {
      applied: 'Every counter rose by what this batch would add: the panel most likely counted it.',
      unchanged: 'No counter moved: the panel most likely did not count it.',
      mixed: 'The counters do not show it clearly: check the panel’s own records before deciding.',
    },
    applied: 'The panel counted it',
    appliedHelp: 'Mark the batch as reported. It is never sent again.',
    resend: 'Send it again',
    resendHelp: 'The panel did not count it. The same batch is sent again, unchanged.',
    confirm: {
      applied: {
        title: 'Mark batch #{id} as counted?',
        body: 'NodeDeck records batch #{id} as reported and never sends it again. The bridge then goes on with the next report.',
        risk: 'If the panel did not in fact count it, the traffic of these {n} users ({bytes}) is never reported: they are not charged for it.',
      },
      resend: {
        title: 'Send batch #{id} again?',
        body: 'NodeDeck sends batch #{id} to the panel again, unchanged, and then goes on with the next report.',
        risk: 'If the panel had in fact counted it, these {n} users are charged twice: {bytes} more, times the node’s rate ×{rate}.',
      },
    },
    done: {
      applied: 'Batch #{id} marked as counted.',
      resend: 'Batch #{id} will be sent again.',
    },
  },
  preview: {
    summary: '{matched} of {source} source users match a panel user.',
    list: {
      node: '{panel} panel users, read from the node’s user list.',
      all: '{panel} panel users, read from the list of all users (this panel has no per-node list).',
    },
    unmatchedTitle:
      'No panel user for {n} name | No panel user for {n} name | No panel user for {n} names',
    unmatchedHelp:
      'Their traffic is not lost: it waits in the journal and is reported once a panel user matches ({rule}).',
    ambiguousTitle:
      '{n} name matches several users | {n} name matches several users | {n} names match several users',
    ambiguousItem: '{name}: users {ids}',
    ambiguousHelp:
      'NodeDeck never guesses: these names stay unmatched (their bytes wait in the journal) until only one user matches.',
    duplicatesTitle:
      '{n} panel user has several source names | {n} panel user has several source names | {n} panel users have several source names',
    duplicateItem: 'user {id}: {names}',
    duplicatesHelp: 'Allowed: their bytes add up on that user.',
    cols: {
      name: 'Source user',
      userId: 'Panel user id',
      email: 'Email',
      port: 'Port',
    },
    more: '… and {n} more.',
    none: 'No source user matches a panel user with this rule.',
  },
  dialog: {
    addTitle: 'Add bridge',
    editTitle: 'Edit {name}',
    intro:
      'Choose the server whose traffic is counted, the panel and the node it is reported as, and how a source user name finds its panel user. Preview before saving.',
    add: 'Add bridge',
    source: 'Source (Hysteria 2 or HY2 SCALE)',
    sourcePlaceholder: 'Choose a server',
    noSources: 'Add a Hysteria 2 or HY2 SCALE server first.',
    sourceRefused: {
      clearOnRead: 'clear-on-read is on',
      kind: 'not a traffic source',
      bridged: 'already bridged to this panel',
    },
    sourceRefusedHelp:
      '{name} cannot be a source: NodeDeck reads it with clear-on-read, which resets its counters, so a bridge would miss bytes. Turn clear-on-read off in its settings to bridge it.',
    panel: 'Mu API panel',
    panelPlaceholder: 'Choose a panel',
    noPanels: 'Add the panel as a Mu API v2 server first.',
    nodeId: 'Node id',
    nodeIdPlaceholder: 'e.g. 1',
    nodeIdHelp: 'The id of the node in the panel (ss_node.id) this server’s traffic counts for.',
    nodeIdFixed:
      'Fixed for this bridge: its journaled bytes belong to this node. Add a new bridge for another node.',
    rule: 'Match users by',
    interval: 'Report every',
    intervalHelp: 'At least {min} s. Each report is one request with every user’s traffic.',
    rate: 'Node’s traffic rate',
    rateHelp:
      'Must equal the node’s traffic_rate in the panel (the Mu API cannot read it). It never changes what is sent: it is used only to check a report whose answer was lost.',
    settle: 'Wait before checking',
    settleHelp:
      'After an answer was lost, wait this long before reading the panel’s counters: a slow panel may still be applying the report.',
    startFrom: 'Start counting from',
    startFromChoices: {
      source_start: {
        label: 'The source’s start',
        help: 'Everything the source has counted since it started is reported: its traffic so far was never reported to this panel.',
      },
      now: {
        label: 'Now',
        help: 'Only traffic after the bridge’s first reading is reported: the earlier traffic was reported by something else (e.g. the panel’s own node software).',
      },
    },
    startFromFixed: 'Chosen when the bridge was added: it only mattered for its first reading.',
    online: 'Report the online count',
    onlineHelp: 'Also send the number of users online now, every interval.',
    name: 'Name',
    namePlaceholder: 'Made from the servers and the node id',
    preview: 'Preview',
    previewHelp: 'Reads both servers now and shows who maps to whom. Nothing is sent or saved.',
    saved: 'Saved {name}',
    added: 'Added bridge {name}',
    invalid: {
      sourceId: 'Choose the source server.',
      panelId: 'Choose the panel.',
      nodeId: 'Enter the node id (a whole number from 1).',
      rule: 'Choose how users are matched.',
      intervalSec: 'Enter whole seconds from {min} to {max}.',
      trafficRate: 'Enter a rate above 0 and at most 1000.',
      settleSec: 'Enter whole seconds from {min} to {max}.',
      name: 'At most 100 characters.',
    },
  },
  remove: {
    title: 'Remove {name}?',
    body: 'The bridge’s settings and its journal are deleted. What the panel already counted stays; neither server is changed.',
    held: 'The journal still holds traffic not reported yet: waiting {pending}, without a panel user {unmatched}, being reported {inflight}.',
    heldHint:
      'NodeDeck refuses to remove a bridge that still holds bytes. Run it once more first, or remove it anyway in the next step.',
    done: 'Removed {name}',
    refused:
      'NodeDeck kept the bridge: its journal still holds traffic never reported to the panel (waiting {pending}, without a panel user {unmatched}, being reported {inflight}).',
    forceTitle: 'Discard traffic that was never reported?',
    forceRisk:
      'If you remove the bridge anyway, these bytes are never reported to the panel: the users are never charged for them, and this cannot be undone.',
    forceAck: 'I understand that these bytes will never be reported.',
    forceConfirm: 'Remove and discard',
  },
  badge: {
    label: 'Bridges:',
    route: '{source} → {panel} node {n}',
    to: 'Bridged to {panel} node {n}',
    from: 'Bridge from {source} as node {n}',
    lastReport: 'last report {t}',
    noReport: 'no report yet',
    open: 'Open the Bridges tab',
  },
}

export default bridgesEnUS
