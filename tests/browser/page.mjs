// What several browser tests do on the demo page: sign in through its
// dialog, and read a table's cells.

/** Opens the page at `base` and signs in through the dialog; resolves once the header names the user. */
export async function signIn(page, base, [user, password]) {
  await page.goto(base + "/");
  await page.waitForFunction(() => document.querySelectorAll("#model option").length > 0);
  await page.click("#login-open");
  await page.fill("#login-user", user);
  await page.fill("#login-password", password);
  await page.click("#login-submit");
  await page.waitForFunction((u) => document.getElementById("who").textContent.startsWith(u), user);
}

/** The text of every cell of the table `#id`'s body, row by row. */
export const cellsOf = (page, id) =>
  page.$$eval(`#${id} tbody tr`, (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));
