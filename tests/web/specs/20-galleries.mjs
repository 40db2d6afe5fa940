import { assert, assertEq, call, newTenantKey, openTab, signIn, uniqueName } from '../lib.mjs';

export const tests = [
  {
    name: 'galleries: create, list and delete collections; add, search and delete people with their face counts',
    slug: 'galleries',
    async run(ctx) {
      const { key } = await newTenantKey('galleries');
      const { page, shot } = await ctx.browser();
      await signIn(page, key);
      await openTab(page, 'galleries');
      await shot('empty');

      // A name the API refuses is caught before sending.
      const name = page.getByLabel('Name', { exact: true });
      await name.fill('bad name!');
      assert(await page.getByRole('button', { name: 'Create collection' }).isDisabled(), 'an invalid name disables "Create collection"');

      const colName = uniqueName('staff');
      await name.fill(colName);
      await page.getByLabel('Description (optional)').fill('People of the web test');
      await page.getByRole('button', { name: 'Create collection' }).click();
      const item = page.locator(`[data-testid="collection-item"][data-name="${colName}"]`);
      await item.waitFor();
      await page.getByTestId('subjects-panel').waitFor();

      // The API agrees.
      const listed = await call('GET', '/v1/collections', { key });
      const col = listed.body.collections.find((c) => c.name === colName);
      assert(col, `the API lists the new collection ${colName}`);

      for (const [display, ext] of [
        ['Ada Lovelace', 'ada'],
        ['Alan Turing', 'alan'],
        ['Grace Hopper', 'grace'],
      ]) {
        await page.getByLabel('Display name').fill(display);
        await page.getByLabel('External id (optional)').fill(ext);
        await page.getByRole('button', { name: 'Add person' }).click();
        await page.locator(`[data-testid="subject-item"][data-name="${display}"]`).waitFor();
      }
      const people = page.getByTestId('subject-item');
      assertEq(await people.count(), 3, 'people listed');
      const counts = await page.getByTestId('subject-face-count').allInnerTexts();
      assert(counts.every((c) => c.trim() === '0'), `every new person shows 0 enrolled faces: ${counts}`);
      await item.getByTestId('collection-subjects').filter({ hasText: '3' }).waitFor();
      await shot('three-people');

      // Search (the API keeps names or external ids that start with the text).
      await page.getByLabel('Search people').fill('Al');
      await page.waitForFunction(() => document.querySelectorAll('[data-testid="subject-item"]').length === 1);
      assertEq(await people.first().getAttribute('data-name'), 'Alan Turing', 'search "Al"');
      await shot('search');
      await page.getByLabel('Search people').fill('');
      await page.waitForFunction(() => document.querySelectorAll('[data-testid="subject-item"]').length === 3);

      // Delete a person (two steps, no browser dialog).
      const alan = page.locator('[data-testid="subject-item"][data-name="Alan Turing"]');
      await alan.getByRole('button', { name: 'Delete Alan Turing' }).click();
      await alan.getByRole('button', { name: 'Yes, delete' }).click();
      await alan.waitFor({ state: 'detached' });
      assertEq(await people.count(), 2, 'people after deleting one');
      const subjects = await call('GET', `/v1/collections/${col.id}/subjects`, { key });
      assertEq(subjects.body.subjects.length, 2, 'people the API keeps');
      await shot('person-deleted');

      // Delete the collection.
      await item.getByRole('button', { name: `Delete collection ${colName}` }).click();
      await shot('confirm-delete-collection');
      await item.getByRole('button', { name: 'Yes, delete' }).click();
      await item.waitFor({ state: 'detached' });
      const notice = await page.getByTestId('galleries-notice').innerText();
      assert(notice.includes('2 people'), `the notice says what was deleted: "${notice}"`);
      const gone = await call('GET', `/v1/collections/${col.id}`, { key });
      assertEq(gone.status, 404, 'the deleted collection, from the API');
      await shot('collection-deleted');
    },
  },
];
