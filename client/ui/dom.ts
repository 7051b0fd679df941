// Building DOM elements in one expression. Text goes in as text nodes, never as HTML.

type Attributes = Record<string, string | boolean | undefined>;
type Child = Node | string | undefined | false;

/** Creates `tag` with attributes (`true` = present, `false`/undefined = absent) and children. */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attributes: Attributes = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    element.setAttribute(name, value === true ? '' : value);
  }
  for (const child of children) {
    if (child === undefined || child === false) continue;
    element.append(child);
  }
  return element;
}

/** An element holding one of the fixed icons of icons.ts (trusted markup, no user data). */
export function icon(svg: string, className = 'icon'): HTMLSpanElement {
  const span = el('span', { class: className, 'aria-hidden': 'true' });
  span.innerHTML = svg;
  return span;
}
