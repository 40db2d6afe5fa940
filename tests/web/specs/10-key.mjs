import { assert, assertEq, call, newTenantKey, webUrl } from '../lib.mjs';

export const tests = [
  {
    name: 'key: asks for an API key, shows the API 401 problem for a wrong one, keeps a good one for the session only',
    slug: 'key',
    async run(ctx) {
      const { key } = await newTenantKey('key');
      const { page, shot } = await ctx.browser();
      await page.goto(`${webUrl}/`);
      const input = page.getByLabel('API key');
      await input.waitFor();
      await shot('asks-for-key');

      // What the API itself says to an unknown key.
      const api401 = await call('GET', '/v1/collections?pageSize=1', { key: 'fp_not-a-real-key' });
      assertEq(api401.status, 401, 'API status for an unknown key');

      await input.fill('fp_not-a-real-key');
      await page.getByRole('button', { name: 'Use this key' }).click();
      const problem = page.getByTestId('key-problem');
      await problem.waitFor();
      const text = await problem.innerText();
      assert(text.includes('401'), `the message shows the status 401: "${text}"`);
      assert(text.includes(api401.body.title), `the message shows the API's title "${api401.body.title}": "${text}"`);
      if (api401.body.detail) assert(text.includes(api401.body.detail), `the message shows the API's detail: "${text}"`);
      await shot('wrong-key-401');

      await input.fill(key);
      await page.getByRole('button', { name: 'Use this key' }).click();
      await page.getByRole('tab', { name: 'Analyse' }).waitFor();
      await shot('signed-in');

      const stored = await page.evaluate(() => ({
        session: Object.values(Object.fromEntries(Object.entries(sessionStorage))),
        local: Object.values(Object.fromEntries(Object.entries(localStorage))),
      }));
      assert(stored.session.includes(key), 'the key is kept in sessionStorage');
      assert(!stored.local.some((v) => String(v).includes(key)), 'the key is not in localStorage by default');

      // A reload keeps the session; a new browser session asks again.
      await page.reload();
      await page.getByRole('tab', { name: 'Analyse' }).waitFor();
      const other = await ctx.browser();
      await other.page.goto(`${webUrl}/`);
      await other.page.getByLabel('API key').waitFor();
      await other.shot('new-session-asks-again');

      // "Change key" forgets it.
      await page.getByRole('button', { name: 'Change key' }).click();
      await page.getByLabel('API key').waitFor();
      const after = await page.evaluate(() => sessionStorage.length + localStorage.length);
      assertEq(after, 0, 'stored keys after "Change key"');
    },
  },
];
