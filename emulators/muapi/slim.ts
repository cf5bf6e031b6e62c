/**
 * Slim 3's default handlers (slimphp/Slim 3.x `Slim/Handlers/{NotFound,NotAllowed,PhpError}.php`,
 * `AbstractHandler::determineContentType`), byte for byte, for the ss-panel emulator: 404 and
 * 405 pages are chosen by the `Accept` header, OPTIONS on a known path answers 200 text/plain.
 */

const KNOWN_CONTENT_TYPES = ['application/json', 'application/xml', 'text/xml', 'text/html']

/**
 * `AbstractHandler::determineContentType`: the first `Accept` item (split on `,`, NOT trimmed)
 * that is a known type, then `+json`/`+xml` suffixes, else text/html.
 */
export function slimContentType(accept: string): string {
  for (const item of accept.split(',')) {
    if (KNOWN_CONTENT_TYPES.includes(item)) return item
  }
  const m = /\+(json|xml)/.exec(accept)
  if (m !== null) return `application/${m[1]}`
  return 'text/html'
}

const STYLE_404 = `            body{
                margin:0;
                padding:30px;
                font:12px/1.5 Helvetica,Arial,Verdana,sans-serif;
            }
            h1{
                margin:0;
                font-size:48px;
                font-weight:normal;
                line-height:48px;
            }
            strong{
                display:inline-block;
                width:65px;
            }`

const STYLE_405 = `            body{
                margin:0;
                padding:30px;
                font:12px/1.5 Helvetica,Arial,Verdana,sans-serif;
            }
            h1{
                margin:0;
                font-size:48px;
                font-weight:normal;
                line-height:48px;
            }`

/** A Slim response: status, headers in Slim's spelling, body. */
export interface SlimResponse {
  status: number
  headers: Record<string, string>
  body: string
}

/** Slim's NotFound handler; `homeUrl` = the request URI without path, query and fragment. */
export function slimNotFound(accept: string, homeUrl: string): SlimResponse {
  const type = slimContentType(accept)
  let body: string
  if (type === 'application/json') body = '{"message":"Not found"}'
  else if (type === 'application/xml' || type === 'text/xml')
    body = '<root><message>Not found</message></root>'
  else
    body = `<html>
    <head>
        <title>Page Not Found</title>
        <style>
${STYLE_404}
        </style>
    </head>
    <body>
        <h1>Page Not Found</h1>
        <p><img src="https://http.cat/404" alt="404 Not Found" /></p>
        <p>
            The page you are looking for could not be found. Check the address bar
            to ensure your URL is spelled correctly. If all else fails, you can
            visit our home page at the link below.
        </p>
        <a href='${homeUrl}'>Visit the Home Page</a>
    </body>
</html>`
  return { status: 404, headers: { 'Content-Type': type }, body }
}

/** Slim's NotAllowed handler (OPTIONS → 200 text/plain). */
export function slimNotAllowed(method: string, accept: string, methods: string[]): SlimResponse {
  const allow = methods.join(', ')
  if (method === 'OPTIONS') {
    return {
      status: 200,
      headers: { 'Content-type': 'text/plain', Allow: allow },
      body: `Allowed methods: ${allow}`,
    }
  }
  const type = slimContentType(accept)
  let body: string
  if (type === 'application/json')
    body = `{"message":"Method not allowed. Must be one of: ${allow}"}`
  else if (type === 'application/xml' || type === 'text/xml')
    body = `<root><message>Method not allowed. Must be one of: ${allow}</message></root>`
  else
    body = `<html>
    <head>
        <title>Method not allowed</title>
        <style>
${STYLE_405}
        </style>
    </head>
    <body>
        <h1>Method not allowed</h1>
        <p><img src="https://http.cat/405" alt="405 Method Not Allowed" /></p>
        <p>Method not allowed. Must be one of: <strong>${allow}</strong></p>
    </body>
</html>`
  return { status: 405, headers: { 'Content-type': type, Allow: allow }, body }
}

const ERROR_TITLE = 'Slim Application Error'

/** Slim's PhpError / Error handler with `displayErrorDetails` off (production). */
export function slimApplicationError(accept: string): SlimResponse {
  const type = slimContentType(accept)
  let body: string
  if (type === 'application/json') body = `{\n    "message": "${ERROR_TITLE}"\n}`
  else if (type === 'application/xml' || type === 'text/xml')
    body = `<error>\n  <message>${ERROR_TITLE}</message>\n</error>`
  else
    body =
      "<html><head><meta http-equiv='Content-Type' content='text/html; charset=utf-8'>" +
      `<title>${ERROR_TITLE}</title><style>body{margin:0;padding:30px;font:12px/1.5 Helvetica,Arial,Verdana,` +
      'sans-serif;}h1{margin:0;font-size:48px;font-weight:normal;line-height:48px;}strong{' +
      `display:inline-block;width:65px;}</style></head><body><h1>${ERROR_TITLE}</h1>` +
      '<p>A website error has occurred. Sorry for the temporary inconvenience.</p></body></html>'
  return { status: 500, headers: { 'Content-type': type }, body }
}
