// Drives custos' sign-in and consent pages the way a person in a browser would, with plain fetch: GET the
// authorize URL, fill the one form (`login`/`passwd` on the sign-in page, `consent=accept` on the consent
// page, every hidden input kept), follow redirects with the cookies the server set, and hand back the
// parameters that reach the redirect URI (query, fragment or an auto-posted form_post page).
//
// The Node twin of tests/interop/python/sign_in_driver.py; the pages are custos' own, so a small tag scanner
// is enough (custos escapes every attribute value it writes).
import assert from "node:assert/strict";

const MAX_PAGES = 6;

const ENTITIES = { "&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": '"', "&#39;": "'", "&#x27;": "'" };
const unescape = (text) => text.replace(/&(amp|lt|gt|quot|#39|#x27);/g, (entity) => ENTITIES[entity]);

function attributes(tag) {
  const found = {};
  for (const [, name, value] of tag.matchAll(/([a-zA-Z_:-]+)="([^"]*)"/g)) found[name.toLowerCase()] = unescape(value);
  return found;
}

/** The first `<form>` of a page: its action, hidden and text inputs, and submit buttons by name. */
export function parseForm(html) {
  const form = html.match(/<form\b[^>]*>([\s\S]*?)<\/form>/i);
  if (!form) return null;
  const head = attributes(form[0].slice(0, form[0].indexOf(">") + 1));
  const inputs = {};
  const buttons = {};
  for (const [tag, element] of form[1].matchAll(/<(input|button)\b[^>]*>/gi)) {
    const attrs = attributes(tag);
    if (!attrs.name) continue;
    const type = (attrs.type ?? (element.toLowerCase() === "input" ? "text" : "submit")).toLowerCase();
    if (element.toLowerCase() === "button" || type === "submit") {
      (buttons[attrs.name] ??= []).push(attrs.value ?? "");
    } else {
      inputs[attrs.name] = attrs.value ?? "";
    }
  }
  return { action: head.action, inputs, buttons };
}

class CookieJar {
  #cookies = new Map();

  store(response) {
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(";");
      const at = pair.indexOf("=");
      const name = pair.slice(0, at).trim();
      const value = pair.slice(at + 1).trim();
      if (/max-age=0/i.test(line) || value === "") this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
  }

  header() {
    return [...this.#cookies].map(([name, value]) => `${name}=${value}`).join("; ");
  }
}

function answerOf(url) {
  const target = new URL(url);
  const params = target.search ? target.searchParams : new URLSearchParams(target.hash.slice(1));
  return Object.fromEntries(params);
}

/** Signs in (and consents) at `authorizeUrl`; resolves to what reaches `redirectUri`. */
export async function drive(authorizeUrl, redirectUri, username, password) {
  const jar = new CookieJar();
  const request = async (url, init = {}) => {
    const response = await fetch(url, { ...init, redirect: "manual", headers: { ...init.headers, cookie: jar.header() } });
    jar.store(response);
    return response;
  };
  let url = authorizeUrl;
  let response = await request(url);
  for (let page = 0; page < MAX_PAGES; page += 1) {
    if ([301, 302, 303].includes(response.status)) {
      const target = new URL(response.headers.get("location"), url).href;
      if (target.startsWith(redirectUri)) return answerOf(target);
      url = target;
      response = await request(url);
      continue;
    }
    const html = await response.text();
    const form = parseForm(html);
    assert.ok(form, `no form on the page (HTTP ${response.status}):\n${html.slice(0, 2000)}`);
    const action = new URL(form.action ?? url, url).href;
    const fields = { ...form.inputs };
    if (action.startsWith(redirectUri)) return fields; // a form_post answer
    if ("login" in fields || "passwd" in fields) {
      fields.login = username;
      fields.passwd = password;
    } else if ("consent" in form.buttons) {
      fields.consent = "accept";
    } else {
      assert.fail(`unexpected form ${JSON.stringify(form)} on:\n${html.slice(0, 2000)}`);
    }
    url = action;
    response = await request(action, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(fields).toString(),
    });
  }
  assert.fail(`no redirect to ${redirectUri} after ${MAX_PAGES} pages`);
}
