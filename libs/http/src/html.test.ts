import { describe, expect, it } from 'vitest';
import { escapeHtml, html, SafeHtml } from './html';

describe('html', () => {
  it('escapes interpolated text, including quotes for attributes', () => {
    const name = `<script>alert("x")</script>&'`;
    expect(html`<p title="${name}">${name}</p>`.value).toBe(
      '<p title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;</p>',
    );
  });

  it('inserts nested templates as markup and joins arrays', () => {
    const items = ['a<b', 'c'].map((t) => html`<li>${t}</li>`);
    expect(html`<ul>${items}</ul>`.value).toBe('<ul><li>a&lt;b</li><li>c</li></ul>');
  });

  it('renders null, undefined and false as nothing, but 0 as 0', () => {
    expect(html`${null}${undefined}${false}${0}`.value).toBe('0');
  });

  it('treats only SafeHtml as trusted', () => {
    expect(html`${new SafeHtml('<b>')}${{ toString: () => '<b>' }}`.value).toBe('<b>&lt;b&gt;');
    expect(escapeHtml('plain')).toBe('plain');
  });
});
