"""The admin console in headless Chromium, one browser per admin role, each holding only its role's
client certificate (an NSS database under its own HOME; Chromium picks it without asking under the
AutoSelectCertificateForUrls policy that browser.sh installs).

The scenario of issue 21: the system officer proposes a contract change in its session; the security
officer reads its diff and what-if and approves it; the partner's next query follows it; the audit
officer sees both steps in the trail; each role's forbidden actions are absent from its pages and
refused by the server when forced. Every page visited passes axe-core with no serious or critical
violation. Screenshots of each role's main pages go to docs/console/.

Run by Tests/Console/browser.sh, which starts the demo and prepares the browsers; it passes:
  CONSOLE_URL     https://localhost:<admin port>
  PARTNER_URL     https://localhost:<partner port>
  PKI_DIR         the demo's development PKI (ca.pem)
  STATE_DIR       the demo's state folder (agency-api-keys.tsv)
  ROLE_HOMES      folder holding one HOME per role (system/, security/, audit/)
  AXE_JS          axe-core's axe.min.js
  SHOTS_DIR       where the screenshots go
  DOCUMENT        the proposal to upload (a contract YAML)
"""

import json
import os
import re
import ssl
import sys
import time
import urllib.error
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

CONSOLE = os.environ["CONSOLE_URL"]
PARTNER = os.environ["PARTNER_URL"]
PKI = os.environ["PKI_DIR"]
STATE = os.environ["STATE_DIR"]
HOMES = os.environ["ROLE_HOMES"]
AXE = open(os.environ["AXE_JS"], encoding="utf-8").read()
SHOTS = os.environ["SHOTS_DIR"]
DOCUMENT = os.environ["DOCUMENT"]
AGENCY = "agency.nj_anxin"

passed = 0
failed = 0


def check(condition, what):
    """Counts a check; a failed one is reported and the run goes on to the end."""
    global passed, failed
    if condition:
        passed += 1
        print(f"ok   {what}", flush=True)
    else:
        failed += 1
        print(f"FAIL {what}", flush=True)
    return condition


def browser(role):
    """Headless Chromium whose only client certificate is the role's (its HOME's NSS database)."""
    home = os.path.join(HOMES, role)
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--window-size=1280,900", f"--user-data-dir={home}/profile", "--lang=zh-CN",
                     "--no-first-run", "--disable-background-networking", "--disable-component-update"):
        options.add_argument(argument)
    options.add_experimental_option("prefs", {"intl.accept_languages": "zh-CN,zh"})
    service = Service(executable_path="/usr/bin/chromedriver", env={**os.environ, "HOME": home})
    driver = webdriver.Chrome(service=service, options=options)
    driver.set_page_load_timeout(60)
    return driver


def open_page(driver, path):
    driver.get(CONSOLE + path)
    return driver.page_source


def mark_document(driver):
    """Stamps the current document, so that its replacement can be told from it."""
    stamp = f"{time.monotonic_ns()}"
    driver.execute_script("window.__creditBrokerStamp = arguments[0];", stamp)
    return stamp


def wait_for_new_document(driver, stamp, seconds=30):
    """Waits until the document stamped `stamp` has been replaced and the new one has loaded.

    Selenium's staleness_of asks the old <html> element whether it is enabled; while Chromium is
    swapping documents that can fail with a plain WebDriverException ("Node with given id does not
    belong to the document") rather than the StaleElementReferenceException it expects, which ended
    a CI run. Asking the page for the stamp instead, and treating any WebDriver error in the middle
    of the swap as "not yet", has no such window; a page that never comes still ends in a timeout."""
    def replaced(d):
        return d.execute_script(
            "return window.__creditBrokerStamp !== arguments[0] && document.readyState === 'complete';", stamp)
    WebDriverWait(driver, seconds, ignored_exceptions=(WebDriverException,)).until(replaced)


def click_and_wait(driver, element_id):
    """Clicks the button and waits for the page it leads to."""
    stamp = mark_document(driver)
    driver.find_element(By.ID, element_id).click()
    wait_for_new_document(driver, stamp)


def heading(driver):
    found = driver.find_elements(By.TAG_NAME, "h1")
    return found[0].text if found else ""


def accessible(driver, name):
    """axe-core over the page: no serious or critical violation (all are printed)."""
    driver.execute_script(AXE)
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']}).then(r => done(JSON.stringify(r.violations)))"
        ".catch(e => done(JSON.stringify([{id: 'axe-error', impact: 'critical', help: String(e), nodes: []}])));")
    violations = json.loads(result)
    for violation in violations:
        print(f"     axe {name}: {violation['impact']} {violation['id']}: {violation['help']} "
              f"({len(violation['nodes'])} nodes: {[n.get('target') for n in violation['nodes'][:3]]})", flush=True)
    serious = [v for v in violations if v["impact"] in ("serious", "critical")]
    check(not serious, f"axe-core: no serious or critical violation on {name}")


def screenshot(driver, name):
    """The page's top (the window stretched to it, at most 1600 px tall)."""
    height = driver.execute_script("return Math.max(document.body.scrollHeight, document.documentElement.scrollHeight)")
    driver.set_window_size(1280, min(max(height + 20, 600), 1600))
    time.sleep(0.3)
    path = os.path.join(SHOTS, name + ".png")
    driver.save_screenshot(path)
    driver.set_window_size(1280, 900)
    print(f"     screenshot {path}", flush=True)


def forced_post(driver, path, fields):
    """What a tampered page could send: a form the page does not offer, posted to the console without
    its token (the CSP lets a page post forms only to the console, and fetch nowhere). The status
    the refusal page shows, or the page's heading if it is no refusal."""
    stamp = mark_document(driver)
    driver.execute_script(
        "const form = document.createElement('form'); form.method = 'post'; form.action = arguments[0];"
        "for (const [name, value] of Object.entries(arguments[1])) {"
        "  const input = document.createElement('input'); input.type = 'hidden'; input.name = name; input.value = value;"
        "  form.appendChild(input); }"
        "document.body.appendChild(form); form.submit();", path, fields)
    wait_for_new_document(driver, stamp, seconds=20)
    problems = driver.find_elements(By.CSS_SELECTOR, ".problem strong")
    return int(problems[0].text.split()[0]) if problems else heading(driver)


def partner_status(token):
    """The status of the agency's GET /v1/partner with `token`."""
    context = ssl.create_default_context(cafile=os.path.join(PKI, "ca.pem"))
    request = urllib.request.Request(PARTNER + "/v1/partner", headers={"Authorization": "Bearer " + token})
    try:
        with urllib.request.urlopen(request, context=context, timeout=30) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code


def query_registration(token):
    """The agency's query for a registration record, as its API client would send it."""
    context = ssl.create_default_context(cafile=os.path.join(PKI, "ca.pem"))
    body = json.dumps({"subject": company(), "purpose": "credit_report", "items": ["enterprise.registration"]}).encode()
    request = urllib.request.Request(PARTNER + "/v1/queries", data=body, method="POST", headers={
        "Authorization": "Bearer " + token, "Content-Type": "application/json"})
    with urllib.request.urlopen(request, context=context, timeout=30) as answer:
        return json.loads(answer.read())


_company = None


def company():
    """An organisation of the demo's province (the demo prints one in its examples)."""
    global _company
    if _company is None:
        printed = open(os.path.join(STATE, "demo.log"), encoding="utf-8").read()
        _company = re.search(r'"subject":"(9[0-9A-Z]{17})"', printed).group(1)
    return _company


def agency_token():
    for line in open(os.path.join(STATE, "agency-api-keys.tsv"), encoding="utf-8"):
        parts = line.strip().split("\t")
        if len(parts) == 2 and parts[0] == AGENCY:
            return parts[1]
    raise SystemExit(f"no demo key for {AGENCY}")


def main():
    os.makedirs(SHOTS, exist_ok=True)
    token = agency_token()
    before = query_registration(token)
    check(not before.get("withheld"), "before the change the agency gets enterprise.registration")
    # A few more answers for the what-if and the usage charts.
    for _ in range(4):
        query_registration(token)

    system, security, audit = browser("system"), browser("security"), browser("audit")
    try:
        # --- The system officer: partners, then a proposal from an uploaded file.
        open_page(system, "/console")
        check(system.current_url.endswith("/console/partners"), "system lands on the partners page")
        check("合作方" in heading(system), "the page is in Chinese by default")
        check(len(system.find_elements(By.CSS_SELECTOR, "tbody tr")) >= 70, "every partner is listed")
        accessible(system, "system: partners")
        screenshot(system, "system-partners")
        check(not system.find_elements(By.CSS_SELECTOR, 'a[href="/console/audit"]'), "system: no audit trail in its navigation")

        open_page(system, f"/console/partners/{AGENCY}")
        check(system.find_elements(By.CSS_SELECTOR, 'form[action$="/suspend"]'), "system may suspend (its form is there)")
        check(not system.find_elements(By.CSS_SELECTOR, 'a[href$="/keys"]'), "system: no API keys link")
        accessible(system, "system: partner")

        open_page(system, "/console/proposals/new")
        system.find_element(By.ID, "document").send_keys("partner: nobody\nversion: x\n")
        click_and_wait(system, "submit-proposal")
        if not check(system.find_elements(By.CSS_SELECTOR, "#document-errors li"), "an invalid document's problems are shown under the field"):
            print(system.find_element(By.TAG_NAME, "main").text)
        check([e.get_attribute("aria-invalid") for e in system.find_elements(By.ID, "document")] == ["true"], "the field is marked invalid")
        accessible(system, "system: proposal form with errors")
        screenshot(system, "system-propose-errors")

        open_page(system, "/console/proposals/new")
        system.find_element(By.ID, "file").send_keys(DOCUMENT)
        system.find_element(By.ID, "reason").send_keys("registration is no longer shared with agencies")
        click_and_wait(system, "submit-proposal")
        match = re.search(r"/console/proposals/(\d+)\?done=proposed$", system.current_url)
        check(match is not None, f"the uploaded proposal is made ({system.current_url})")
        proposal = match.group(1) if match else "0"
        check(not system.find_elements(By.ID, "approve"), "system: no approve button on its own proposal")
        check("安全管理员" in system.find_element(By.CSS_SELECTOR, "main").text, "system's page says the security administrator decides")
        status = forced_post(system, f"/console/proposals/{proposal}/approve", {"reason": "forced"})
        check(status == 403, f"system forcing an approval is refused (403, got {status})")
        open_page(system, "/console/audit")
        check("403" in system.find_element(By.CSS_SELECTOR, "main").text and "安全审计员" in system.page_source,
              "system opening the audit trail gets 403 naming the security auditor")

        # --- The security officer: the queue, the diff and the what-if, the approval.
        open_page(security, "/console")
        check(security.current_url.endswith("/console/proposals"), "security lands on the proposals queue")
        check(security.find_elements(By.CSS_SELECTOR, f'a[href="/console/proposals/{proposal}"]'), "the new proposal is in the queue")
        accessible(security, "security: proposals")
        screenshot(security, "security-proposals")
        open_page(security, f"/console/proposals/{proposal}")
        diff = security.find_element(By.CSS_SELECTOR, "table.diff").text
        check("enterprise.registration" in diff, "the diff names the item the change takes away")
        what_if = security.find_element(By.XPATH, "//h2[contains(., '假设分析')]/following-sibling::table[1]").text
        check("enterprise.registration" in what_if, "the what-if lists the item whose decisions would flip")
        accessible(security, "security: proposal")
        screenshot(security, "security-proposal")
        open_page(security, f"/console/proposals/{proposal}?lang=en")
        check("What-if" in security.page_source, "the switch shows the page in English")
        accessible(security, "security: proposal (English)")
        screenshot(security, "security-proposal-en")
        open_page(security, f"/console/proposals/{proposal}?lang=zh")
        security.find_element(By.ID, "approve-reason").send_keys("diff and what-if read: 5 answers would withhold registration")
        click_and_wait(security, "approve")
        check(security.current_url.endswith(f"/console/proposals/{proposal}?done=approved"), "the approval is made")
        check("已批准" in security.find_element(By.CSS_SELECTOR, "main").text, "the proposal shows as approved")
        check(not security.find_elements(By.CSS_SELECTOR, 'a[href="/console/proposals/new"]'), "security: no propose link")
        status = forced_post(security, "/console/proposals", {"document": "x"})
        check(status == 403, f"security forcing a proposal is refused (403, got {status})")
        open_page(security, f"/console/partners/{AGENCY}/keys")
        accessible(security, "security: API keys")
        screenshot(security, "security-keys")
        click_and_wait(security, "issue-key")
        issued = security.find_element(By.ID, "token").get_attribute("value")
        check(issued.startswith("ak_"), "an issued key's token is shown once")
        check(partner_status(issued) == 200, "the issued key authenticates the agency")
        key_id = issued.split(".")[0]
        security.find_element(By.ID, f"revoke-{key_id}").click()
        security.switch_to.alert.accept()
        WebDriverWait(security, 30).until(lambda d: "done=revoked" in d.current_url)
        check(partner_status(issued) == 401, "the revoked key is refused (confirmed in the page's dialog)")
        open_page(security, f"/console/partners/{AGENCY}/keys")
        check(issued not in security.page_source, "the token is not shown again")

        # --- The partner's next query follows the approved version.
        after = query_registration(token)
        reasons = [w.get("reason") for w in after.get("withheld", [])]
        check(reasons == ["no_sharing"], f"the agency's next query is withheld as no_sharing ({reasons})")

        # --- The audit officer: both steps in the trail, the chain intact, usage charts.
        open_page(audit, "/console")
        check(audit.current_url.endswith("/console/audit"), "audit lands on the audit trail")
        trail = audit.find_element(By.CSS_SELECTOR, "table.audit").text
        check(f"proposed {proposal}" in trail and "System Administrator" in trail, "the trail shows the system officer's proposal")
        check(f"approved {proposal}" in trail and "Security Administrator" in trail, "the trail shows the security officer's approval")
        check("role-not-allowed" in trail, "the trail shows the refused forced approval")
        check(audit.find_elements(By.CSS_SELECTOR, "p.chain.ok"), "the chain verifies")
        accessible(audit, "audit: trail")
        screenshot(audit, "audit-trail")
        open_page(audit, "/console/audit?action=approved")
        rows = audit.find_elements(By.CSS_SELECTOR, "table.audit tbody tr")
        check(len(rows) == 1 and f"approved {proposal}" in rows[0].text, "filtering by action leaves the approval")
        open_page(audit, f"/console/usage?partner={AGENCY}")
        check(len(audit.find_elements(By.CSS_SELECTOR, "svg.chart")) == 4, "the usage page draws its four charts")
        check(len(audit.find_elements(By.CSS_SELECTOR, "section.chart table")) == 5, "each chart has its table, and the per-item table")
        accessible(audit, "audit: usage")
        screenshot(audit, "audit-usage")
        check(not audit.find_elements(By.CSS_SELECTOR, "form[method=post]"), "audit: no form that changes anything")
        status = forced_post(audit, f"/console/partners/{AGENCY}/suspend", {"reason": "forced"})
        check(status == 403, f"audit forcing a suspension is refused (403, got {status})")
        open_page(audit, "/console/audit?action=role-not-allowed")
        refused = audit.find_element(By.CSS_SELECTOR, "table.audit").text
        check("/suspend" in refused and "/approve" in refused and "/console/proposals" in refused,
              "every forced action is in the trail as role-not-allowed")
    finally:
        for driver in (system, security, audit):
            driver.quit()
    print(f"{passed} passed, {failed} failed", flush=True)
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
