// Asks the browser host for its servers preview (src/shared/preview.ts) while the page's modules
// are still loading: a classic script runs as soon as the parser reaches it, the modules only
// once all of them are fetched and compiled (bench B5: the answer is there when the app mounts,
// ~200 ms sooner). host/index.ts uses the answer if it was asked with the token the page takes;
// it asks again otherwise. Nothing here in Electron (no token, the preload's bridge instead).
/* global window, location */
;(function () {
  'use strict'
  if (window.nodedeck) return
  var token
  try {
    var hash = location.hash.replace(/^#/, '')
    token =
      (hash && new URLSearchParams(hash).get('token')) ||
      window.sessionStorage.getItem('nodedeck.token')
  } catch {
    return
  }
  if (!token) return
  window.__nodedeckPreview = {
    token: token,
    response: fetch('/servers-preview', {
      headers: { authorization: 'Bearer ' + token },
      cache: 'no-store',
    }),
  }
})()
