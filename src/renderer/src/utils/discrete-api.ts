/**
 * naive-ui's discrete API (message and notification providers outside a component tree), in a
 * module of its own so `discrete.ts` can load it on the first message rather than at start.
 */
export { createDiscreteApi } from 'naive-ui'
