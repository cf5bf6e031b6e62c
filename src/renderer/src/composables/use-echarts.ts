import { GraphChart } from 'echarts/charts'
import { TooltipComponent } from 'echarts/components'
import { use } from 'echarts/core'
import { CanvasRenderer } from 'echarts/renderers'
import { computed, onScopeDispose, shallowRef, type ComputedRef, type ShallowRef } from 'vue'
import type VChart from 'vue-echarts'
import { useAppStore } from '../stores/app'

// Tree-shaken: only the parts our charts use are registered (design.md §2.7). A new chart type
// or component must be added here, or echarts renders nothing for it.
use([GraphChart, TooltipComponent, CanvasRenderer])

/** The `vue-echarts` component's instance (what a template `ref` on `<v-chart>` holds). */
export type ChartRef = InstanceType<typeof VChart>

/** What a chart component binds on `<v-chart>`. */
export interface UseECharts {
  /** Bind with `ref="chart"`; null until mounted. */
  chart: ShallowRef<ChartRef | null>
  /** echarts' built-in `dark` theme in dark mode (the app's setting, live), the default otherwise. */
  theme: ComputedRef<string | undefined>
  /** Resize with the element (a ResizeObserver inside vue-echarts), throttled. */
  autoresize: { throttle: number }
}

/**
 * The one way the renderer uses echarts: registers the needed `echarts/core` parts once, follows
 * the app's dark mode, resizes with the element and disposes the instance when the calling scope
 * ends (also when the scope outlives the element, e.g. a kept-alive tab).
 */
export function useECharts(): UseECharts {
  const app = useAppStore()
  const chart = shallowRef<ChartRef | null>(null)
  const theme = computed(() => (app.isDark ? 'dark' : undefined))
  onScopeDispose(() => {
    const c = chart.value
    // Guarded: a test stub in place of the chart has no echarts API.
    if (c && typeof c.isDisposed === 'function' && !c.isDisposed()) c.dispose()
    chart.value = null
  })
  return { chart, theme, autoresize: { throttle: 100 } }
}
