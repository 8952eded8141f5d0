/**
 * Which form controls on a page have no accessible name, as Chrome's accessibility tree computes it
 * (labels, aria-label, aria-labelledby, a button's text): what a screen reader would announce.
 */
import type { Page } from 'playwright-core';

export interface NameCheck {
  /** Controls in the accessibility tree (hidden ones, e.g. in a closed dialog, are not). */
  checked: number;
  /** The opening markup of each control without a name. */
  unnamed: string[];
}

export async function checkAccessibleNames(page: Page): Promise<NameCheck> {
  const cdp = await page.context().newCDPSession(page);
  try {
    const { root } = await cdp.send('DOM.getDocument', { depth: 0 });
    const { nodeIds } = await cdp.send('DOM.querySelectorAll', { nodeId: root.nodeId, selector: 'input, select, textarea, button' });
    const result: NameCheck = { checked: 0, unnamed: [] };
    for (const nodeId of nodeIds) {
      const { nodes } = await cdp.send('Accessibility.getPartialAXTree', { nodeId, fetchRelatives: false });
      const node = nodes[0];
      if (node === undefined || node.ignored) continue;
      result.checked++;
      if (String(node.name?.value ?? '').trim() === '') {
        const { outerHTML } = await cdp.send('DOM.getOuterHTML', { nodeId });
        result.unnamed.push(outerHTML.slice(0, 160));
      }
    }
    return result;
  } finally {
    await cdp.detach();
  }
}
