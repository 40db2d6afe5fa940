import { assert, assertEq, newTenantKey, openTab, webUrl } from '../lib.mjs';

/** Controls without an accessible name (label, aria-label, aria-labelledby, or text for buttons). */
function unlabelled() {
  const out = [];
  const visible = (el) => !el.closest('[hidden]');
  for (const el of document.querySelectorAll('input, select, textarea, button, [role="button"], [role="tab"]')) {
    if (!visible(el)) continue;
    const named =
      (el.labels && el.labels.length > 0) ||
      el.getAttribute('aria-label') ||
      el.getAttribute('aria-labelledby') ||
      ((el.tagName === 'BUTTON' || el.getAttribute('role')) && el.textContent.trim());
    if (!named) out.push(el.outerHTML.slice(0, 120));
  }
  return out;
}

async function tabThrough(page, max = 60) {
  const seen = [];
  await page.locator('body').click({ position: { x: 1, y: 1 } });
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    const info = await page.evaluate(() => {
      const el = document.activeElement;
      if (!el || el === document.body) return null;
      const cs = getComputedStyle(el);
      const label = el.labels?.[0]?.textContent?.trim() || el.getAttribute('aria-label') || el.textContent.trim().slice(0, 40);
      const ring = (cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) > 0) || cs.boxShadow !== 'none';
      // A visually hidden file input shows its focus on the drop zone around it (:focus-within).
      const zone = el.closest('.dropzone');
      const zoneRing = zone ? getComputedStyle(zone).outlineStyle !== 'none' : false;
      return { tag: el.tagName, type: el.type || '', label, ring: ring || zoneRing };
    });
    if (info) seen.push(info);
  }
  return seen;
}

export const tests = [
  {
    name: 'accessibility: labelled controls, keyboard reachable with visible focus, no sideways scrolling at phone width',
    slug: 'a11y',
    async run(ctx) {
      const { key } = await newTenantKey('a11y');
      const { page, shot } = await ctx.browser({ width: 390, height: 844 });
      await page.goto(`${webUrl}/`);
      await page.getByLabel('API key').waitFor();
      assertEq((await page.evaluate(unlabelled)).length, 0, 'unlabelled controls on the key form');

      // Sign in with the keyboard only.
      await page.locator('body').click({ position: { x: 1, y: 1 } });
      let found = false;
      for (let i = 0; i < 10 && !found; i++) {
        await page.keyboard.press('Tab');
        found = await page.evaluate(() => document.activeElement?.id === 'api-key');
      }
      assert(found, 'the key field is reachable with Tab');
      await page.keyboard.type(key);
      await page.keyboard.press('Enter');
      await page.getByRole('tab', { name: 'Analyse' }).waitFor();
      await shot('phone-analyse');

      for (const tab of ['analyze', 'verify', 'galleries']) {
        await openTab(page, tab);
        const missing = await page.evaluate(unlabelled);
        assert(missing.length === 0, `unlabelled controls on ${tab}: ${missing.join(' | ')}`);
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        assert(overflow <= 0, `${tab} is ${overflow} px wider than a phone screen`);
        const focus = await tabThrough(page, 25);
        const noRing = focus.filter((f) => !f.ring);
        assert(noRing.length === 0, `controls on ${tab} without a visible focus: ${JSON.stringify(noRing)}`);
        if (tab === 'analyze') {
          assert(focus.some((f) => f.type === 'file'), `the photo picker is reachable with Tab: ${JSON.stringify(focus.map((f) => f.label))}`);
          assert(focus.some((f) => f.tag === 'SELECT'), 'the collection choice is reachable with Tab');
        }
        if (tab === 'galleries') {
          assert(focus.some((f) => f.label === 'Name'), 'the new collection name is reachable with Tab');
        }
        await shot(`phone-${tab}`);
      }

      // Arrow keys move between the tabs.
      await page.getByRole('tab', { name: 'Galleries' }).focus();
      await page.keyboard.press('ArrowLeft');
      assertEq(await page.evaluate(() => document.activeElement?.textContent), 'Verify', 'ArrowLeft from Galleries');
      assert(await page.locator('#panel-verify').isVisible(), 'ArrowLeft shows the Verify panel');
    },
  },
];
