// The keycard demo: the whole browser flow in one small module, with no build step.
//
// - The access token lives in this module's memory only: never in localStorage, where any
//   script injected into the page could read it.
// - The refresh token travels as keycard's HttpOnly cookie (X-Refresh-Token-Transport: cookie),
//   which this script can neither read nor leak.
// - A request refused with 401 token_expired triggers one refresh and is sent once more.
// - After a reload, the cookie restores the session.

const api = apiOrigin();
const SIGNED_IN_HINT = 'keycard-demo:signed-in';

/** The access token. Gone on reload, by design: the cookie brings a new one. */
let accessToken;
/** The refresh in flight, shared by every request that found its token expired. */
let refreshing;

const $ = (id) => document.getElementById(id);

/** keycard's origin: the page's own, or `?api=<origin>` for a page served elsewhere. */
function apiOrigin() {
  const given = new URLSearchParams(location.search).get('api');
  return given ? new URL(given).origin : location.origin;
}

function say(text) {
  $('status').textContent = text;
}

async function send(path, { method = 'GET', body, headers = {} } = {}) {
  const allHeaders = { ...headers };
  if (body !== undefined) allHeaders['Content-Type'] = 'application/json';
  if (accessToken) allHeaders.Authorization = `Bearer ${accessToken}`;
  return fetch(`${api}${path}`, {
    method,
    headers: allHeaders,
    body: body === undefined ? undefined : JSON.stringify(body),
    // The cookie goes along, to keycard's origin even when it is not this page's.
    credentials: 'include',
  });
}

/** Sends a request; on 401 token_expired, refreshes once and sends it again. */
async function call(path, options) {
  const response = await send(path, options);
  if (response.status !== 401) return response;
  const problem = await response
    .clone()
    .json()
    .catch(() => ({}));
  if (problem.code !== 'token_expired' || !(await refresh())) return response;
  return send(path, options);
}

/** Trades the refresh cookie for a new access token; false when there is no session. */
function refresh() {
  refreshing ??= (async () => {
    try {
      const response = await fetch(`${api}/api/auth/refresh`, {
        method: 'POST',
        headers: { 'X-Refresh-Token-Transport': 'cookie' },
        credentials: 'include',
      });
      if (!response.ok) return false;
      accessToken = (await response.json()).token;
      return true;
    } finally {
      refreshing = undefined;
    }
  })();
  return refreshing;
}

async function errorOf(response) {
  const body = await response.json().catch(() => ({}));
  return body.error ? `${body.error} (${body.code})` : `HTTP ${response.status}`;
}

function showSignedOut(message = '') {
  accessToken = undefined;
  localStorage.removeItem(SIGNED_IN_HINT);
  $('signed-in').hidden = true;
  $('signed-out').hidden = false;
  say(message);
}

function showUser(user) {
  $('who').textContent = user.email;
  const rows = [
    ['Name', user.name],
    ['Email', user.email],
    ['Role', user.role],
    ['Since', new Date(user.createdAt).toLocaleString()],
  ];
  $('profile').replaceChildren(
    ...rows.flatMap(([term, value]) => [element('dt', term), element('dd', value)]),
  );
  $('signed-out').hidden = true;
  $('signed-in').hidden = false;
}

function element(tag, text) {
  const node = document.createElement(tag);
  node.textContent = text;
  return node;
}

async function loadProfile() {
  const response = await call('/api/profile');
  if (!response.ok) return showSignedOut(`Signed out: ${await errorOf(response)}`);
  showUser((await response.json()).user);
}

async function loadSessions() {
  const response = await call('/api/auth/sessions');
  if (!response.ok) return say(`Sessions: ${await errorOf(response)}`);
  const { sessions } = await response.json();
  $('sessions').replaceChildren(...sessions.map(sessionItem));
}

function sessionItem(session) {
  const item = element(
    'li',
    `${session.current ? 'This session' : session.userAgent || 'Unknown client'}, from ` +
      `${session.ip}, since ${new Date(session.createdAt).toLocaleString()}`,
  );
  if (!session.current) {
    const revoke = element('button', 'Revoke');
    revoke.type = 'button';
    revoke.setAttribute('aria-label', `Revoke session ${session.id}`);
    revoke.addEventListener('click', () => run(() => revokeSession(session.id)));
    item.append(revoke);
  }
  return item;
}

async function revokeSession(id) {
  const response = await call(`/api/auth/sessions/${encodeURIComponent(id)}`, {
    method: 'DELETE',
  });
  say(response.ok ? 'Session revoked.' : `Revoke: ${await errorOf(response)}`);
  await loadSessions();
}

async function signIn(action, form) {
  const fields = Object.fromEntries(new FormData(form));
  const body =
    action === 'register'
      ? { name: fields.name, email: fields.email, password: fields.password }
      : { email: fields.email, password: fields.password };
  const response = await send(`/api/auth/${action}`, {
    method: 'POST',
    body,
    headers: { 'X-Refresh-Token-Transport': 'cookie' },
  });
  if (!response.ok) return say(await errorOf(response));
  const { token, user } = await response.json();
  accessToken = token;
  localStorage.setItem(SIGNED_IN_HINT, '1');
  form.reset();
  say('');
  showUser(user);
  await loadSessions();
}

async function logOut(path, message) {
  const response = await call(path, { method: 'POST' });
  if (!response.ok && response.status !== 401) return say(await errorOf(response));
  showSignedOut(message);
}

/** Runs an action, turning a network failure (keycard down, CORS refused) into a message. */
async function run(action) {
  try {
    await action();
  } catch (error) {
    say(`Could not reach keycard at ${api}: ${error.message}`);
  }
}

async function restore() {
  // Only a hint that a cookie may exist (never a token): a first visit then sends no refresh
  // that is bound to fail.
  if (localStorage.getItem(SIGNED_IN_HINT) && (await refresh())) {
    await Promise.all([loadProfile(), loadSessions()]);
  } else {
    showSignedOut();
  }
}

$('sign-in').addEventListener('submit', (event) => {
  event.preventDefault();
  run(() => signIn(event.submitter?.value === 'register' ? 'register' : 'login', event.target));
});
$('reload-profile').addEventListener('click', () => run(loadProfile));
$('reload-sessions').addEventListener('click', () => run(loadSessions));
$('log-out').addEventListener('click', () => run(() => logOut('/api/auth/logout', 'Logged out.')));
$('log-out-everywhere').addEventListener('click', () =>
  run(() => logOut('/api/auth/logout-all', 'Logged out everywhere.')),
);

restore().catch((error) => showSignedOut(`Could not reach keycard at ${api}: ${error.message}`));
