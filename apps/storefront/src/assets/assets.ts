// The storefront's static files, kept as strings so that the bundle (dist/apps/storefront/main.js) is all a
// container needs. Served by routes/assets.routes.ts with a long cache lifetime and a versioned URL.
import { createHash } from 'node:crypto';

/** The stylesheet: phone first (one column), wider screens get a grid; focus always visible. */
export const STYLESHEET = `
:root{--ink:#1f2933;--muted:#5f6b7a;--line:#e3e7ec;--bg:#f6f7f9;--card:#fff;--brand:#0b5cad;--brand-dark:#084a8c;--ok-bg:#e3f6ea;--ok:#13653a;--warn-bg:#fff4d6;--warn:#7a4b00;--bad-bg:#fde8e8;--bad:#9b1c1c}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:var(--ink);background:var(--bg)}
a{color:var(--brand)}
a:hover{color:var(--brand-dark)}
:focus-visible{outline:3px solid #f59e0b;outline-offset:2px}
.skip{position:absolute;left:-999px;top:0;background:#fff;padding:8px 12px;z-index:10}
.skip:focus{left:8px}
.visually-hidden{position:absolute!important;width:1px;height:1px;margin:-1px;padding:0;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;border:0}
header.site{background:#0f1f33;color:#fff}
header.site .bar{max-width:1100px;margin:0 auto;padding:10px 16px;display:flex;flex-wrap:wrap;align-items:center;gap:8px 20px}
header.site .brand{color:#fff;font-weight:700;font-size:20px;text-decoration:none;letter-spacing:.02em}
header.site nav ul{list-style:none;display:flex;flex-wrap:wrap;gap:4px 16px;margin:0;padding:0}
header.site nav a{color:#dbe7f5;text-decoration:none;padding:4px 2px;border-bottom:2px solid transparent}
header.site nav a[aria-current=page]{color:#fff;border-bottom-color:#f59e0b}
header.site .who{margin-left:auto;display:flex;align-items:center;gap:10px;font-size:14px;color:#dbe7f5}
header.site .who a{color:#fff}
main{max-width:1100px;margin:0 auto;padding:20px 16px 40px}
h1{font-size:26px;margin:4px 0 16px}
h2{font-size:19px;margin:0 0 8px}
footer.site{max-width:1100px;margin:0 auto;padding:16px;color:var(--muted);font-size:14px}
.panel{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:16px;margin-bottom:16px}
label{display:block;font-size:14px;font-weight:600;margin-bottom:4px}
input,select,textarea{font:inherit;width:100%;padding:8px 10px;border:1px solid #b8c2cc;border-radius:8px;background:#fff;color:var(--ink)}
button,.button{font:inherit;font-weight:600;display:inline-block;padding:9px 16px;border-radius:8px;border:1px solid var(--brand);background:var(--brand);color:#fff;cursor:pointer;text-decoration:none;text-align:center}
button:hover,.button:hover{background:var(--brand-dark);color:#fff}
button.secondary{background:#fff;color:var(--brand)}
button.danger{background:#fff;color:var(--bad);border-color:var(--bad)}
button[disabled]{background:#cfd6de;border-color:#cfd6de;color:#5f6b7a;cursor:not-allowed}
.filters{display:grid;grid-template-columns:1fr 1fr;gap:12px;align-items:end}
.filters .wide{grid-column:1/-1}
.grid{display:grid;grid-template-columns:1fr;gap:14px;list-style:none;margin:0;padding:0}
.card{background:var(--card);border:1px solid var(--line);border-radius:12px;padding:14px;display:flex;flex-direction:column;gap:8px}
.card h2{font-size:17px;margin:0}
.card h2 a{text-decoration:none;color:var(--ink)}
.swatch{height:96px;border-radius:8px;display:flex;align-items:center;justify-content:center;font-size:34px;font-weight:700;color:#fff}
.swatch.c0{background:linear-gradient(135deg,#0b5cad,#3b82f6)}.swatch.c1{background:linear-gradient(135deg,#0f766e,#14b8a6)}.swatch.c2{background:linear-gradient(135deg,#9333ea,#c084fc)}
.swatch.c3{background:linear-gradient(135deg,#b45309,#f59e0b)}.swatch.c4{background:linear-gradient(135deg,#be123c,#fb7185)}.swatch.c5{background:linear-gradient(135deg,#334155,#64748b)}
article.panel .swatch{height:160px;max-width:360px;margin:8px 0 12px}
.card .desc{color:var(--muted);font-size:14px;margin:0}
.price{font-weight:700;font-size:18px}
.stock{display:inline-block;font-size:13px;font-weight:600;padding:2px 10px;border-radius:999px;background:var(--ok-bg);color:var(--ok)}
.stock.low{background:var(--warn-bg);color:var(--warn)}
.stock.out{background:var(--bad-bg);color:var(--bad)}
.stock.unknown{background:#eef1f4;color:var(--muted)}
.add{display:flex;gap:8px;align-items:end;margin-top:auto}
.add .qty{width:80px}
.row{display:flex;flex-wrap:wrap;gap:10px;align-items:center}
.muted{color:var(--muted)}
.alert{padding:12px 14px;border-radius:8px;margin-bottom:16px;border:1px solid}
.alert.error{background:var(--bad-bg);color:var(--bad);border-color:#f5b5b5}
.alert.ok{background:var(--ok-bg);color:var(--ok);border-color:#a7dcbc}
.alert.wait{background:var(--warn-bg);color:var(--warn);border-color:#f1d58a}
.alert h2{font-size:18px;margin:0 0 4px;color:inherit}
.alert p{margin:4px 0}
table{width:100%;border-collapse:collapse}
th,td{text-align:left;padding:8px 6px;border-bottom:1px solid var(--line);vertical-align:middle}
th{font-size:13px;color:var(--muted);font-weight:600}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.lines td form{display:flex;gap:6px;align-items:center}
.lines input[type=number]{width:72px}
.total{font-size:20px;font-weight:700;text-align:right;margin:12px 0}
.actions{display:flex;flex-wrap:wrap;gap:10px;justify-content:flex-end}
.spinner{display:inline-block;width:14px;height:14px;border:2px solid currentColor;border-right-color:transparent;border-radius:50%;animation:spin .8s linear infinite;vertical-align:-2px;margin-right:6px}
@keyframes spin{to{transform:rotate(360deg)}}
@media (prefers-reduced-motion:reduce){.spinner{animation:none}}
.badge{display:inline-block;font-size:13px;font-weight:600;padding:2px 10px;border-radius:999px;background:#eef1f4}
.badge.confirmed,.badge.sent{background:var(--ok-bg);color:var(--ok)}
.badge.cancelled,.badge.failed{background:var(--bad-bg);color:var(--bad)}
.badge.pending{background:var(--warn-bg);color:var(--warn)}
.customers{list-style:none;margin:0;padding:0;display:grid;gap:8px}
.customers button{width:100%;text-align:left;background:#fff;color:var(--ink);border-color:var(--line)}
.customers button:hover{background:#eef4fb;color:var(--ink)}
.customers .email{display:block;font-weight:400;font-size:14px;color:var(--muted)}
.form-grid{display:grid;grid-template-columns:1fr;gap:12px}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px;margin:0}
dl.facts dt{color:var(--muted)}dl.facts dd{margin:0}
.pager{margin-top:16px}
@media (min-width:640px){
  .grid{grid-template-columns:repeat(2,1fr)}
  .filters{grid-template-columns:2fr 1fr 1fr 1fr auto}
  .filters .wide{grid-column:auto}
  .form-grid{grid-template-columns:1fr 1fr}
  .form-grid .wide{grid-column:1/-1}
}
@media (min-width:960px){.grid{grid-template-columns:repeat(3,1fr)}}
@media (max-width:639px){
  table.lines thead{display:none}
  table.lines tr{display:grid;grid-template-columns:1fr auto;gap:4px 8px;padding:8px 0;border-bottom:1px solid var(--line)}
  table.lines td{border:0;padding:2px 0}
  table.lines td.num{text-align:left}
  table.lines td:first-child{grid-column:1/-1;font-weight:600}
}
`;

/**
 * The one page script, progressive enhancement only (every page works without it):
 * - the cart follows its checkout live: it listens to /cart/events (the storefront's relay of the cart's
 *   server-sent events) and swaps in the cart as the server rendered it, whenever it changed;
 * - the notifications page offers Web Push: registers /sw.js, asks the push service's VAPID key and hands the
 *   browser's subscription to the storefront.
 */
export const PAGE_SCRIPT = `'use strict';
(function () {
  var live = document.querySelector('[data-live-cart]');
  if (live && 'EventSource' in window) {
    var source = new EventSource('/cart/events');
    source.addEventListener('cart', function (event) {
      var update = JSON.parse(event.data);
      if (update.key === live.getAttribute('data-key')) return;
      var focused = document.activeElement && live.contains(document.activeElement);
      live.innerHTML = update.html;
      live.setAttribute('data-key', update.key);
      live.setAttribute('data-status', update.status);
      if (focused) { var heading = live.querySelector('[data-status-heading]'); if (heading) heading.focus(); }
    });
    window.addEventListener('pagehide', function () { source.close(); });
  }

  var optin = document.querySelector('[data-push-optin]');
  var said = document.querySelector('[data-push-status]');
  function say(text) { if (said) said.textContent = text; }
  function keyBytes(base64url) {
    var padded = (base64url + '===='.slice(base64url.length % 4)).replace(/-/g, '+').replace(/_/g, '/');
    var raw = atob(padded), bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes;
  }
  if (optin && 'serviceWorker' in navigator && 'PushManager' in window) {
    optin.hidden = false;
    optin.addEventListener('click', function () {
      optin.disabled = true;
      say('Asking your browser…');
      navigator.serviceWorker.register('/sw.js').then(function (registration) {
        return fetch('/push/vapid-public-key').then(function (r) {
          if (!r.ok) throw new Error('the push service did not give its key');
          return r.json();
        }).then(function (key) {
          return registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(key.public_key) });
        });
      }).then(function (subscription) {
        return fetch('/push/subscriptions', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(subscription) });
      }).then(function (response) {
        if (!response.ok) throw new Error('the shop refused the subscription (' + response.status + ')');
        say('Push notifications are on for this browser.');
      }).catch(function (err) {
        optin.disabled = false;
        say('Push notifications could not be turned on: ' + (err && err.message ? err.message : err));
      });
    });
  } else if (optin) {
    say('This browser cannot receive push notifications; you still get every message by e-mail.');
  }
})();
`;

/** The service worker: shows what the push service sends ({notification_id, title, text, url?}), opens its page on a click. */
export const SERVICE_WORKER = `'use strict';
self.addEventListener('push', function (event) {
  var data = {};
  try { data = event.data ? event.data.json() : {}; } catch (e) { data = { text: event.data ? event.data.text() : '' }; }
  event.waitUntil(self.registration.showNotification(data.title || 'Shop', {
    body: data.text || '',
    tag: data.notification_id,
    data: { url: data.url || '/notifications' }
  }));
});
self.addEventListener('notificationclick', function (event) {
  event.notification.close();
  var url = (event.notification.data && event.notification.data.url) || '/';
  event.waitUntil(self.clients.openWindow(url));
});
`;

/** A short content hash, for URLs that may be cached for a year. */
export function versionOf(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 12);
}
