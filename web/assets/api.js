// The API, from the browser. The id token lives in this module's memory only; the refresh
// token lives in an HttpOnly cookie that no script can read (see docs/DESIGN.md, "Web
// client"), so a reload costs one refresh call and an injected script finds no token to steal
// in storage.

export class ApiError extends Error {
  constructor(status, code, message, extra) {
    super(message || code);
    this.status = status;
    this.code = code;
    this.extra = extra ?? {};
  }
}

let idToken = null;
// Cognito's access token of the same login or refresh, for the few operations Cognito performs
// only on it (an email change's code); memory only, like the id token.
let accessToken = null;
let expiresAt = 0;
let refreshing = null;
let sessionLost = () => {};

export function onSessionLost(fn) {
  sessionLost = fn;
}

function keep(tokens) {
  idToken = tokens.id_token;
  accessToken = tokens.access_token ?? null;
  expiresAt = Date.now() + (tokens.expires_in ?? 3600) * 1000;
}

function claims() {
  if (!idToken) return {};
  try {
    const part = idToken.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(atob(part)) ?? {};
  } catch {
    return {};
  }
}

// The signed-in address, from the id token's claims (display only: the server verifies).
export function currentEmail() {
  return claims().email ?? null;
}

// The signed-in account's stable id (the `sub` claim), to keep one account's remembered
// uploads apart from another's on a shared browser.
export function currentUser() {
  return claims().sub ?? null;
}

async function send(method, path, body, withToken, withAccess) {
  const headers = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (withToken && idToken) headers.authorization = `Bearer ${idToken}`;
  if (withAccess && accessToken) headers['dropgate-access-token'] = accessToken;
  try {
    return await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      cache: 'no-store',
    });
  } catch {
    throw new ApiError(0, 'network', 'network');
  }
}

async function read(r) {
  if (r.status === 204) return null;
  let data = null;
  try {
    data = await r.json();
  } catch {
    data = null;
  }
  if (r.ok) return data;
  const e = data?.error ?? {};
  throw new ApiError(r.status, e.code ?? (r.status === 401 ? 'unauthorized' : 'internal'), e.message, e);
}

// A public call: no token.
export async function open(method, path, body) {
  return read(await send(method, path, body));
}

// An owner's call: refreshes the session first when the token is about to expire, and once
// more on a 401; a session that cannot be refreshed is reported to `onSessionLost`.
export async function call(method, path, body, { access = false } = {}) {
  if (!idToken || Date.now() > expiresAt - 30_000) {
    if (!(await refresh())) {
      sessionLost();
      throw new ApiError(401, 'invalid_token');
    }
  }
  let r = await send(method, path, body, true, access);
  if (r.status === 401) {
    if (!(await refresh())) {
      sessionLost();
      throw new ApiError(401, 'invalid_token');
    }
    r = await send(method, path, body, true, access);
  }
  return read(r);
}

// An owner's call whose answer is read as it is (its headers, a body that is not JSON): the
// audit export's pages. Errors are thrown as `call` throws them.
export async function raw(method, path) {
  if (!idToken || Date.now() > expiresAt - 30_000) {
    if (!(await refresh())) {
      sessionLost();
      throw new ApiError(401, 'invalid_token');
    }
  }
  const r = await send(method, path, undefined, true);
  if (!r.ok) await read(r);
  return r;
}

// Renews the id token from the session cookie; false when there is no session (any more).
export function refresh() {
  refreshing ??= (async () => {
    try {
      keep(await open('POST', '/auth/refresh'));
      return true;
    } catch {
      idToken = null;
      accessToken = null;
      return false;
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

// Logs in; with two-factor authentication on, answers the challenge's session (the tokens come
// with the code, `loginTotp`), else null.
export async function login(email, password) {
  const r = await open('POST', '/auth/login', { email, password, cookie: true });
  if (r.challenge === 'totp') return r.session;
  keep(r);
  return null;
}

export async function loginTotp(session, code) {
  keep(await open('POST', '/auth/login/totp', { session, code, cookie: true }));
}

// Forgets the tokens in memory (the server ended every session).
export function forget() {
  idToken = null;
  accessToken = null;
  expiresAt = 0;
}

export async function logout() {
  idToken = null;
  accessToken = null;
  expiresAt = 0;
  await open('POST', '/auth/logout').catch(() => {});
}
