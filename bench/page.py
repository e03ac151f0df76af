"""The table board's first load in headless Chromium, as a tablet on venue wifi would do it:
768×1024, the CPU slowed down four times, nothing cached. Measures the bytes transferred
(every script and style included) and the time until a post can be made, then makes one."""

import time

from .servers import Tablee

CHROMIUM = "/usr/bin/chromium"
# The flags of tests/browser/conftest.py.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
TABLET = {"width": 768, "height": 1024}
READY = """() => {
  const form = document.querySelector('#note-form');
  return document.querySelector('#connection')?.dataset.state === 'online'
    && window.htmx && form && form['htmx-internal-data'] !== undefined;
}"""


async def first_load(target: Tablee) -> dict:
    from playwright.async_api import async_playwright

    [table] = target.seed(1)
    target.start()
    try:
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            context = await browser.new_context(viewport=TABLET, locale="fr-FR")
            page = await context.new_page()
            base = target.base_for(0)
            await page.goto(f"{base}/j/{table.join_code}")
            await page.get_by_label("Votre prénom").fill("Awa")
            await page.get_by_role("button", name="Rejoindre la table").click()
            await page.wait_for_url(f"{base}/table")

            cdp = await context.new_cdp_session(page)
            await cdp.send("Network.enable")
            await cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
            await cdp.send("Emulation.setCPUThrottlingRate", {"rate": 4})
            transferred: dict[str, int] = {}
            urls: dict[str, str] = {}
            cdp.on("Network.requestWillBeSent",
                   lambda e: urls.__setitem__(e["requestId"], e["request"]["url"]))
            cdp.on("Network.loadingFinished",
                   lambda e: transferred.__setitem__(e["requestId"], e["encodedDataLength"]))

            start = time.perf_counter()
            await page.goto(f"{base}/table")
            await page.wait_for_function(READY, polling=20, timeout=30_000)
            ready = time.perf_counter() - start

            await page.get_by_label("Votre constat").fill("Le premier constat de la tablette")
            await page.get_by_role("button", name="Publier").click()
            await page.locator("#notes .note-text",
                               has_text="Le premier constat de la tablette").wait_for()
            posted = time.perf_counter() - start
            await browser.close()
    finally:
        target.stop()
    resources = {urls.get(rid, rid).replace(base, ""): size
                 for rid, size in transferred.items() if not urls.get(rid, "").startswith("ws")}
    load_bytes = sum(size for url, size in resources.items() if not url.startswith("/socket.io")
                     and not url.startswith("/constats"))
    return {"bytes_first_load": load_bytes, "kb_first_load": round(load_bytes / 1024, 1),
            "resources": resources, "post_possible_s": round(ready, 2),
            "own_post_seen_s": round(posted, 2)}
