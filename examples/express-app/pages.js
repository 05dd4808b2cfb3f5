// The HTML this app serves. Every value that came from a token or a request is escaped: a `name` claim is
// whatever the person typed into their profile.

const TITLE = 'Example app 1: express-openid-connect';

export function escapeHtml(value) {
  return String(value ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function layout(title, body) {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)}</title></head>
<body>
${body}
</body>
</html>
`;
}

export function homePage(user) {
  return layout(
    TITLE,
    `<h1>${escapeHtml(TITLE)}</h1>
<p>Signed in as <strong data-testid="name">${escapeHtml(user.name || user.email)}</strong> (<span data-testid="email">${escapeHtml(user.email)}</span>)</p>
<p><a href="/logout" data-testid="logout">Sign out everywhere</a></p>`,
  );
}

export function signedOutPage() {
  return layout(
    `Signed out - ${TITLE}`,
    `<h1>Signed out</h1>
<p><a href="/">Sign in again</a></p>`,
  );
}

export function errorPage(status, message) {
  return layout(
    `Error - ${TITLE}`,
    `<h1>Something went wrong</h1>
<p>${escapeHtml(status)}: ${escapeHtml(message)}</p>
<p><a href="/">Back to the start</a></p>`,
  );
}
