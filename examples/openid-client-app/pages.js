// Server-rendered pages. Every value that reaches the HTML goes through escapeHtml; no inline script or
// style, so the Content-Security-Policy can stay strict.

const TITLE = 'Example app 2: openid-client';

export function escapeHtml(value) {
  return String(value).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}

function layout(title, body) {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
</head>
<body>
${body}
</body>
</html>
`;
}

export function homePage({ name, email, accessTokenSeconds }) {
  const lifetime =
    accessTokenSeconds === undefined
      ? 'The access token has no stated lifetime.'
      : `The access token expires in <span data-testid="access-token-seconds">${escapeHtml(accessTokenSeconds)}</span> seconds.`;
  return layout(
    TITLE,
    `<h1>${escapeHtml(TITLE)}</h1>
<p>Signed in as <strong data-testid="name">${escapeHtml(name)}</strong> (<span data-testid="email">${escapeHtml(email)}</span>)</p>
<p>${lifetime}</p>
<form method="post" action="/refresh"><button>Refresh tokens</button></form>
<p><a href="/logout" data-testid="logout">Sign out everywhere</a></p>`,
  );
}

export function signedOutPage() {
  return layout(
    'Signed out',
    `<h1>Signed out</h1>
<p><a href="/">Sign in again</a></p>`,
  );
}

export function errorPage(status, message) {
  return layout(
    'Something went wrong',
    `<h1>Something went wrong</h1>
<p>${escapeHtml(message)}</p>
<p>HTTP status ${escapeHtml(status)}. <a href="/">Back to the start</a></p>`,
  );
}
