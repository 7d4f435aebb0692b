import { html, type SafeHtml, type StaffRole } from '@shop/http';
import type { Delivery, Hop, Journey, Stop } from './journey';
import { badge, shell, time } from './pages';

const at = (value: string | null) => time(value === null ? null : new Date(value));

function took(ms: number | null): SafeHtml | string {
  if (ms === null) return '';
  return ms < 1_000 ? `${ms} ms` : `${(ms / 1_000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

function stopMessage(stop: Stop): SafeHtml {
  const { hop } = stop;
  const from = hop.producer ?? 'an unknown producer';
  switch (stop.why) {
    case 'dead_lettered':
      return html`<strong>Stopped:</strong> <span class="mono">${hop.topic}</span> from ${from} was dead-lettered by
<span class="mono">${stop.delivery!.subscription}</span> (${stop.delivery!.reason ?? 'no reason recorded'}). It waits in ${stop.delivery!.service}’s dead letters for a replay.`;
    case 'set_aside':
      return html`<strong>Stopped:</strong> ${from} could not publish <span class="mono">${hop.topic}</span>: the transport kept refusing it, and it waits in ${from}’s dead letters.`;
    case 'pending':
      return html`<strong>Waiting:</strong> ${from} has not relayed <span class="mono">${hop.topic}</span> yet.`;
    case 'unhandled':
      return html`<strong>Waiting:</strong> no subscriber has handled <span class="mono">${hop.topic}</span> from ${from} yet (${hop.deliveries.map((d) => d.subscription).join(', ')}).`;
  }
}

function deliveryRow(hop: Hop, delivery: Delivery | undefined, first: boolean, span: number, stopped: boolean): SafeHtml {
  const cells = first
    ? html`<td rowspan="${span}">${at(hop.occurredAt)}</td><td rowspan="${span}" class="mono">${hop.topic}</td><td rowspan="${span}">${hop.producer ?? html`<span class="muted">unknown</span>`}<br>${badge(hop.publication)}</td>`
    : '';
  const to = delivery
    ? html`<td class="mono">${delivery.subscription}</td><td>${badge(delivery.outcome)}${delivery.reason && html` <span class="error">${delivery.reason}</span>`}</td><td>${at(delivery.handledAt)}</td><td class="took">${took(delivery.tookMs)}</td>`
    : html`<td class="muted" colspan="4">no subscriber</td>`;
  return html`<tr class="${stopped ? 'stopped' : ''}" data-topic="${hop.topic}" data-outcome="${delivery?.outcome ?? 'none'}">${cells}${to}</tr>`;
}

function hopRows(hop: Hop, stop: Stop | null): SafeHtml {
  const stopped = stop?.hop === hop;
  const deliveries = hop.deliveries.length ? hop.deliveries : [undefined];
  return html`${deliveries.map((d, i) => deliveryRow(hop, d, i === 0, deliveries.length, stopped))}`;
}

/** `GET /console/journeys/:id`: one checkout across every service, each hop with its time, and where it stopped. */
export function journeyPage(journey: Journey, role: StaffRole): string {
  const { hops, stop } = journey;
  const body = html`<p><a href="/console">← Support console</a></p>
<section aria-labelledby="journey-heading"><h2 id="journey-heading">Journey of <span class="mono">${journey.id}</span></h2>
<p class="muted">Correlation ids: ${journey.correlationIds.map((id, i) => html`${i ? ', ' : ''}<span class="mono">${id}</span>`)}</p>
${journey.unreachable.length > 0 && html`<div class="banner" role="alert">Some services could not be asked, so their part is missing:<ul>${journey.unreachable.map((u) => html`<li><strong>${u.service}</strong>: ${u.detail}</li>`)}</ul></div>`}
${
  stop
    ? html`<div class="banner" id="journey-stop" role="status">${stopMessage(stop)}</div>`
    : hops.length > 0 && html`<p id="journey-stop" class="glance"><a class="ok">Every hop was handled.</a></p>`
}
${
  hops.length
    ? html`<table id="journey"><thead><tr><th>Occurred</th><th>Event</th><th>From</th><th>To</th><th>Outcome</th><th>Handled</th><th>Took</th></tr></thead>
<tbody>${hops.map((hop) => hopRows(hop, stop))}</tbody></table>`
    : html`<p class="muted">No service knows events of this id. Journeys cover a cart, order or buy-now request id; events older than the services keep (24 hours published, 8 days consumed) are gone.</p>`
}</section>`;
  return shell('Journey', body, role);
}
