import type { HealthState } from '../../../../shared/contract'

/** The colour of each health state (dots, tags): same in both themes, readable on both. */
export const STATE_COLORS: Record<HealthState, string> = {
  online: '#18a058',
  degraded: '#f0a020',
  offline: '#d03050',
  auth_failed: '#9b3fd0',
  tls_failed: '#c2410c',
  unknown: '#909399',
}

/** naive-ui tag type per state. */
export const STATE_TAG_TYPES: Record<HealthState, 'success' | 'warning' | 'error' | 'default'> = {
  online: 'success',
  degraded: 'warning',
  offline: 'error',
  auth_failed: 'error',
  tls_failed: 'error',
  unknown: 'default',
}
