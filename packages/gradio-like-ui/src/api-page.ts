import { API_OPERATIONS, curlExample } from './openapi'

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!)
}

/** GET /api: the API described for people, each operation with its curl command; the OpenAPI document beside it. */
export function apiPage(base: string, token: boolean): string {
  const rows = API_OPERATIONS.map(
    (operation) => `<section class="block api-op">
  <h2><span class="method ${operation.method}">${operation.method.toUpperCase()}</span> <code>${escapeHtml(operation.path)}</code></h2>
  <p>${escapeHtml(operation.summary)}.${operation.description ? ` ${escapeHtml(operation.description)}` : ''}</p>
  <pre><code>${escapeHtml(curlExample(operation, base, token))}</code></pre>
</section>`,
  )
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8" />
<meta name="viewport" content="width=device-width, initial-scale=1" />
<title>Anime Upscaler: HTTP API</title>
<link rel="icon" href="/favicon.svg" type="image/svg+xml" />
<link rel="stylesheet" href="/style.css" />
<script src="/theme.js"></script>
</head>
<body>
<main class="container api-page">
<header class="app-header"><h1>HTTP API</h1>
<p>Everything the <a href="/">page</a> does, scripts can do. The machine-readable description is <a href="/api/openapi.json">OpenAPI 3.1</a>.${token ? ' Send the access token with each request: <code>Authorization: Bearer TOKEN</code>.' : ''} Ids in capitals are placeholders.</p>
</header>
${rows.join('\n')}
</main>
</body>
</html>
`
}
