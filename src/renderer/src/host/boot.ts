import { chooseHost } from './index'

/**
 * The transport, chosen (and the WebSocket opened, the servers preview asked for) as the first
 * thing the page's code does: `main.ts` imports this module first, so this runs before the rest
 * of the bundle (the UI library, the views) is evaluated, and both answers are on their way
 * meanwhile (bench B5).
 */
export const host = chooseHost()
