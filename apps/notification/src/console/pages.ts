import { html, type FieldError, type SafeHtml, type StaffRole } from '@shop/http';
import type { CustomerRow } from '../db/customers.queries';
import type { DeliveryRow } from '../db/deliveries.queries';
import { CHANNELS, NOTIFICATION_TYPES, STATUSES, type Channel, type NotificationRow } from '../domain/notification';

const STYLE = `
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;color:#111827;background:#f3f4f6}
header{display:flex;align-items:center;gap:16px;padding:12px 24px;background:#111827;color:#fff}header h1{font-size:16px;margin:0;flex:1}
header a{color:#fff}main{padding:20px 24px;max-width:1400px;margin:0 auto}
section{background:#fff;border-radius:8px;padding:16px 20px;margin-bottom:16px;box-shadow:0 1px 2px rgb(0 0 0/.06)}
h2{font-size:15px;margin:0 0 12px}table{border-collapse:collapse;width:100%}th,td{padding:6px 8px;border-bottom:1px solid #e5e7eb;text-align:left;vertical-align:top}
th{font-size:12px;text-transform:uppercase;letter-spacing:.03em;color:#6b7280}tbody tr:hover{background:#f9fafb}
.badge{display:inline-block;padding:1px 8px;border-radius:999px;font-size:12px;font-weight:600}
.pending{background:#fef3c7;color:#92400e}.sent{background:#d1fae5;color:#065f46}.failed{background:#fee2e2;color:#991b1b}
.requested{background:#e0e7ff;color:#3730a3}.delivered{background:#d1fae5;color:#065f46}
.handled,.published{background:#d1fae5;color:#065f46}.dead_lettered,.set_aside{background:#fee2e2;color:#991b1b}.no_record,.unknown{background:#f3f4f6;color:#6b7280}
tr.stopped{background:#fef2f2;outline:2px solid #fca5a5}.took{text-align:right;font-variant-numeric:tabular-nums}
.muted{color:#6b7280}.error{color:#991b1b}.mono{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:12px}
form.filters{display:flex;flex-wrap:wrap;gap:12px;align-items:flex-end;margin-bottom:12px}label{display:flex;flex-direction:column;gap:4px;font-size:12px;color:#374151}
input,select,textarea,button{font:inherit;padding:6px 8px;border:1px solid #d1d5db;border-radius:6px;background:#fff}
button{background:#111827;color:#fff;border-color:#111827;cursor:pointer}button.link{background:none;border:none;color:#fff;text-decoration:underline;padding:0}
.banner{padding:10px 14px;border-radius:6px;background:#fee2e2;color:#991b1b;margin-bottom:12px}
.glance{display:flex;gap:12px;margin-bottom:12px}.glance a{padding:8px 14px;border-radius:6px;background:#fee2e2;color:#991b1b;text-decoration:none;font-weight:600}
.glance a.ok{background:#d1fae5;color:#065f46}dl{display:grid;grid-template-columns:max-content 1fr;gap:6px 16px;margin:0}dt{color:#6b7280}dd{margin:0}
iframe{width:100%;height:620px;border:1px solid #d1d5db;border-radius:6px;background:#fff}pre{white-space:pre-wrap;background:#f9fafb;padding:12px;border-radius:6px;margin:0}
.signin{max-width:380px;margin:12vh auto}.signin form{display:flex;flex-direction:column;gap:12px}.pager{margin-top:12px}
`;

/** The security headers of every console page: no scripts at all, forms only to this origin, never framed. */
export const CONSOLE_HEADERS: Record<string, string> = {
  'Content-Type': 'text/html; charset=utf-8',
  'Content-Security-Policy':
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'X-Content-Type-Options': 'nosniff',
  // Not no-referrer: under it browsers send `Origin: null` with the console's own form posts.
  'Referrer-Policy': 'same-origin',
  'Cache-Control': 'no-store',
};

/** A whole console page: the header with who is signed in, and `body`. */
export function shell(title: string, body: SafeHtml, role?: StaffRole): string {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Support console</title><style>${STYLE}</style></head>
<body><header><h1><a href="/console">Support console</a> · ${title}</h1>${
    role &&
    html`<span class="muted">signed in as ${role}</span>
<form method="post" action="/console/sign-out"><button class="link" type="submit">Sign out</button></form>`
  }</header>
<main>${body}</main></body></html>`.value;
}

export function time(date: Date | null): SafeHtml {
  if (!date) return html`<span class="muted">–</span>`;
  const iso = date.toISOString();
  return html`<time datetime="${iso}">${iso.slice(0, 19).replace('T', ' ')}Z</time>`;
}

export function badge(value: string): SafeHtml {
  return html`<span class="badge ${value}">${value}</span>`;
}

function customerLabel(id: string, customers: ReadonlyMap<string, CustomerRow>): SafeHtml {
  const customer = customers.get(id);
  if (!customer) return html`<span class="mono">${id}</span><br><span class="muted">not known yet</span>`;
  if (customer.deletedAt) return html`<span class="mono">${id}</span><br><span class="muted">deleted</span>`;
  return html`${customer.name}<br><span class="muted">${customer.email}</span>`;
}

function fieldErrors(errors: FieldError[] | undefined): SafeHtml | false {
  return (
    !!errors?.length &&
    html`<div class="banner" role="alert"><ul>${errors.map((e) => html`<li><strong>${e.field}</strong>: ${e.message}</li>`)}</ul></div>`
  );
}

/** The page a browser sees without a valid session: `401`, with the sign-in form. */
export function signInPage(options: { error?: string } = {}): string {
  return shell(
    'Sign in',
    html`<section class="signin"><h2>Sign in</h2>
${options.error && html`<div class="banner" role="alert">${options.error}</div>`}
<p class="muted">Support staff sign in with the support token (admins with theirs).</p>
<form method="post" action="/console/session">
<label>Token<input type="password" name="token" autocomplete="current-password" required autofocus></label>
<button type="submit">Sign in</button></form></section>`,
  );
}

/** A page with one message: forbidden, not found, or a refused form. */
export function messagePage(title: string, message: string, role?: StaffRole, errors?: FieldError[]): string {
  return shell(title, html`<section><h2>${title}</h2><p>${message}</p>${fieldErrors(errors)}<p><a href="/console">Back to the notifications</a></p></section>`, role);
}

export interface ListView {
  role: StaffRole;
  filters: { customer: string; type: string; channel: string; status: string };
  errors?: FieldError[];
  rows: NotificationRow[];
  customers: ReadonlyMap<string, CustomerRow>;
  nextHref: string | null;
  failed: { counts: Record<Channel, number>; recent: NotificationRow[] };
  compose: { customerId: string; formId: string };
}

function select(name: string, label: string, options: readonly string[], value: string): SafeHtml {
  return html`<label>${label}<select name="${name}"><option value="">any</option>${options.map(
    (o) => html`<option value="${o}"${o === value ? html` selected` : ''}>${o}</option>`,
  )}</select></label>`;
}

function glance(view: ListView): SafeHtml {
  const { counts, recent } = view.failed;
  const link = (channel: Channel) =>
    html`<a class="${counts[channel] ? '' : 'ok'}" href="/console?status=failed&amp;channel=${channel}">${counts[channel]} ${channel} failed</a>`;
  return html`<section aria-labelledby="failed-heading"><h2 id="failed-heading">Failed deliveries</h2>
<div class="glance">${link('email')}${link('push')}</div>
${
  recent.length
    ? html`<table><thead><tr><th>When</th><th>Customer</th><th>Channel</th><th>Type</th><th>Attempts</th><th>Error</th></tr></thead><tbody>${recent.map(
        (n) =>
          html`<tr><td>${time(n.updatedAt)}</td><td>${customerLabel(n.customerId, view.customers)}</td><td>${n.channel}</td><td>${n.type}</td><td>${n.attempts}</td><td class="error"><a href="/console/notifications/${n.notificationId}">${n.lastError ?? 'failed'}</a></td></tr>`,
      )}</tbody></table>`
    : html`<p class="muted">Nothing has failed.</p>`
}</section>`;
}

/** `GET /console`: failures at a glance, the filters, and the notifications, newest first. */
export function listPage(view: ListView): string {
  const { filters } = view;
  const body = html`<section aria-labelledby="journey-heading"><h2 id="journey-heading">Follow a checkout</h2>
<form class="filters" method="get" action="/console/journeys" role="search">
<label>Cart, order or request id<input name="id" size="38" required></label><button type="submit">Show journey</button></form></section>
${glance(view)}
<section aria-labelledby="list-heading"><h2 id="list-heading">Notifications</h2>
<form class="filters" method="get" action="/console">
<label>Customer (id or e-mail)<input name="customer" value="${filters.customer}" size="38"></label>
${select('type', 'Type', NOTIFICATION_TYPES, filters.type)}${select('channel', 'Channel', CHANNELS, filters.channel)}${select('status', 'Status', STATUSES, filters.status)}
<button type="submit">Filter</button><a href="/console">Clear</a></form>
${fieldErrors(view.errors)}
${
  view.rows.length
    ? html`<table id="notifications"><thead><tr><th>Created</th><th>Customer</th><th>Type</th><th>Channel</th><th>Status</th><th>Subject</th><th>Attempts</th><th>Last error</th></tr></thead><tbody>${view.rows.map(
        (n) =>
          html`<tr><td>${time(n.createdAt)}</td><td>${customerLabel(n.customerId, view.customers)}</td><td>${n.type}</td><td>${n.channel}</td><td>${badge(n.status)}</td><td><a href="/console/notifications/${n.notificationId}">${n.subject}</a></td><td>${n.attempts}</td><td class="error">${n.lastError ?? ''}</td></tr>`,
      )}</tbody></table>`
    : html`<p class="muted">No notifications match.</p>`
}
${view.nextHref && html`<p class="pager"><a href="${view.nextHref}">Older notifications →</a></p>`}
</section>
<section><details><summary><strong>Send a customer a message</strong> (e-mail, and push where they subscribed)</summary>
<form method="post" action="/console/notifications" style="display:flex;flex-direction:column;gap:10px;max-width:640px;margin-top:12px">
<input type="hidden" name="form_id" value="${view.compose.formId}">
<label>Customer id<input name="customer_id" value="${view.compose.customerId}" required></label>
<label>Subject<input name="subject" maxlength="200" required></label>
<label>Text<textarea name="text" rows="5" maxlength="10000" required></textarea></label>
<button type="submit">Send</button></form></details></section>`;
  return shell('Notifications', body, view.role);
}

export interface DetailView {
  role: StaffRole;
  notification: NotificationRow;
  customer: CustomerRow | null;
  deliveries: DeliveryRow[];
}

/** `GET /console/notifications/:id`: everything about one notification, its history, and what was sent. */
export function detailPage(view: DetailView): string {
  const n = view.notification;
  const customers = new Map(view.customer ? [[view.customer.customerId, view.customer]] : []);
  const content =
    n.channel === 'email'
      ? html`<section aria-labelledby="email-heading"><h2 id="email-heading">Rendered e-mail</h2>
<p class="muted">To ${n.recipient ?? 'nobody yet (waiting for the customer’s address)'} · <a href="/console/notifications/${n.notificationId}/email" target="_blank" rel="noopener">open on its own</a></p>
<iframe title="Rendered e-mail" sandbox="" referrerpolicy="no-referrer" srcdoc="${n.html ?? ''}"></iframe>
<h2 style="margin-top:16px">Plain text</h2><pre>${n.text}</pre></section>`
      : html`<section aria-labelledby="push-heading"><h2 id="push-heading">Push message</h2>
<dl><dt>Title</dt><dd>${n.subject}</dd><dt>Text</dt><dd>${n.text}</dd><dt>Opens</dt><dd class="mono">${n.url ?? '–'}</dd></dl></section>`;
  const body = html`<p><a href="/console">← All notifications</a> · <a href="/console?customer=${n.customerId}">this customer’s notifications</a></p>
<section><h2>${n.subject}</h2><dl>
<dt>Status</dt><dd>${badge(n.status)}</dd>
<dt>Notification</dt><dd class="mono">${n.notificationId}</dd>
<dt>Customer</dt><dd>${customerLabel(n.customerId, customers)}</dd>
<dt>Type</dt><dd>${n.type}</dd><dt>Channel</dt><dd>${n.channel}</dd>
<dt>Attempts</dt><dd>${n.attempts}</dd><dt>Last error</dt><dd class="error">${n.lastError ?? '–'}</dd>
<dt>Order</dt><dd class="mono">${n.orderId ?? '–'}</dd>
<dt>Created</dt><dd>${time(n.createdAt)}</dd><dt>Requested</dt><dd>${time(n.requestedAt)}</dd><dt>Sent</dt><dd>${time(n.sentAt)}</dd>
</dl></section>
<section aria-labelledby="history-heading"><h2 id="history-heading">Delivery history</h2>${
    view.deliveries.length
      ? html`<table id="history"><thead><tr><th>When</th><th>What</th><th>Attempt</th><th>Error</th><th>Event</th></tr></thead><tbody>${view.deliveries.map(
          (d) =>
            html`<tr><td>${time(d.occurredAt)}</td><td>${badge(d.outcome)}</td><td>${d.attempt ?? '–'}</td><td class="error">${d.error ?? ''}</td><td class="mono">${d.eventId}</td></tr>`,
        )}</tbody></table>`
      : html`<p class="muted">Nothing requested yet${n.channel === 'email' && !n.recipient ? ': waiting for the customer’s e-mail address' : ''}.</p>`
  }</section>
${content}`;
  return shell(n.subject, body, view.role);
}
