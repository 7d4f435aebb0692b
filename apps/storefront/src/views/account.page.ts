import { html, type SafeHtml } from '@shop/http/web';
import type { IdentityMode } from '../identity';
import type { Customer, Notification } from '../shop-api';
import { when } from './layout';

/**
 * Sign-in. Header mode (locally, behind a gateway): choose a customer, or create one. Jwt mode: paste the ID
 * token your identity provider gave you (a gateway in front may instead send it as `Authorization`).
 */
export function signInPage(options: { mode: IdentityMode; picker: boolean; customers: Customer[]; next: string; error?: SafeHtml | undefined; canCreate: boolean }): SafeHtml {
  const next = html`<input type="hidden" name="next" value="${options.next}">`;
  if (options.mode === 'jwt') {
    return html`<h1>Sign in</h1>${options.error}
<form class="panel" method="post" action="/session">${next}
<label for="token">ID token</label><textarea id="token" name="token" rows="4" required autocomplete="off" spellcheck="false"></textarea>
<p class="muted">The shop forwards it to the services, which verify it on every request.</p>
<p class="actions"><button type="submit">Sign in</button></p></form>`;
  }
  if (!options.picker) {
    return html`<h1>Sign in</h1>${options.error}<p class="panel">Sign in through the gateway in front of this shop.
Choosing a customer here is turned off (<code>STOREFRONT_CUSTOMER_PICKER</code>): it would let anyone shop as anyone.</p>`;
  }
  return html`<h1>Sign in</h1>${options.error}
<section class="panel" aria-labelledby="choose"><h2 id="choose">Shop as a customer</h2>
<p class="muted">This shop is the local gateway: choose who you are. Real sign-in happens in front of it (see README).</p>
${
  options.customers.length
    ? html`<ul class="customers">${options.customers.map(
        (c) => html`<li><form method="post" action="/session">${next}<input type="hidden" name="customer_id" value="${c.customer_id}">
<button type="submit">${c.name}<span class="email">${c.email}</span></button></form></li>`,
      )}</ul>`
    : html`<p>No customers yet.</p>`
}</section>
${
  options.canCreate &&
  html`<section class="panel" aria-labelledby="create"><h2 id="create">New customer</h2>
<form method="post" action="/customers">${next}<div class="form-grid">
<div><label for="name">Name</label><input id="name" name="name" required maxlength="200" autocomplete="name"></div>
<div><label for="email">E-mail</label><input id="email" name="email" type="email" required maxlength="320" autocomplete="email"></div>
</div><p class="actions"><button type="submit">Create and sign in</button></p></form></section>`
}`;
}

/** A line of a message to recognise it by: its first paragraph after the greeting, cut short. */
function preview(text: string): string {
  const paragraphs = text.split(/\n\s*\n/).map((p) => p.trim().replace(/\s+/g, ' ')).filter(Boolean);
  const line = paragraphs.find((p) => !/^(hello|hi|dear)\b.*,$/i.test(p)) ?? paragraphs[0] ?? '';
  return line.length > 160 ? `${line.slice(0, 157)}…` : line;
}

export function notificationsPage(notifications: Notification[]): SafeHtml {
  return html`<h1>Notifications</h1>
<section class="panel" aria-labelledby="push"><h2 id="push">Push notifications</h2>
<p>Get a message on this device when an order is confirmed, cancelled or could not be reserved.</p>
<p class="row"><button type="button" data-push-optin hidden>Turn on push notifications</button> <span data-push-status role="status"></span></p>
<noscript><p class="muted">Push notifications need JavaScript; every message also comes by e-mail.</p></noscript></section>
${
  notifications.length
    ? html`<div class="panel"><table><caption class="visually-hidden">Messages the shop sent you, newest first</caption>
<thead><tr><th scope="col">Sent</th><th scope="col">Message</th><th scope="col">Channel</th><th scope="col">Status</th></tr></thead>
<tbody>${notifications.map(
        (n) => html`<tr data-notification="${n.type}"><td>${when(n.created_at)}</td><td><strong>${n.subject}</strong><br><span class="muted">${preview(n.text)}</span></td>
<td>${n.channel === 'email' ? 'E-mail' : 'Push'}</td><td><span class="badge ${n.status}">${n.status}</span></td></tr>`,
      )}</tbody></table></div>`
    : html`<p class="panel">No messages yet.</p>`
}`;
}
