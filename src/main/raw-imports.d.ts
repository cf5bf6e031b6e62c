/** Vite's `?raw` imports (the text of a file, e.g. a `.proto`), in every build and in vitest. */
declare module '*?raw' {
  const text: string
  export default text
}
