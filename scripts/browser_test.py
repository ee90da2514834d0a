#!/usr/bin/env python3
"""The notification stream in a real browser: headless Chromium opens the demo page
(/demo/notifications), signs in as the buyer, and the page asks for a stream ticket and opens
an EventSource with it. An admin then approves the buyer's order over HTTP, and the test
asserts that the page shows the live notification.

Chromium is driven over the DevTools protocol on a pipe (--remote-debugging-pipe: JSON
messages ending with a NUL byte on file descriptors 3 and 4), so nothing but the standard
library is needed. Run by scripts/browser-test.sh, which starts the server and the users.

Usage: browser_test.py BASE_URL ADMIN_EMAIL PASSWORD (the admin exists; the buyer and the
seller are registered here, over HTTP).
"""

import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request

WAIT = 30  # seconds for each step


class Browser:
    def __init__(self, profile):
        to_browser_r, self.to_browser = os.pipe()
        self.from_browser, from_browser_w = os.pipe()

        def child_fds():
            os.dup2(to_browser_r, 3)
            os.dup2(from_browser_w, 4)

        flags = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            f"--user-data-dir={profile}",
            "--remote-debugging-pipe",
            "about:blank",
        ]
        self.process = subprocess.Popen(
            [os.environ.get("CHROMIUM", "chromium"), *flags],
            pass_fds=(3, 4),
            preexec_fn=child_fds,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_browser_r)
        os.close(from_browser_w)
        self.buffer = b""
        self.next_id = 0
        self.session = None

    def send(self, method, params=None, session=True):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session and self.session:
            message["sessionId"] = self.session
        os.write(self.to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.time() + WAIT
        while time.time() < deadline:
            reply = self.read()
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
        raise RuntimeError(f"no answer to {method} within {WAIT} s")

    def read(self):
        while b"\0" not in self.buffer:
            chunk = os.read(self.from_browser, 65536)
            if not chunk:
                raise RuntimeError("the browser closed its pipe (did it start?)")
            self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(message)

    def open_page(self, url):
        target = self.send("Target.createTarget", {"url": "about:blank"}, session=False)
        attached = self.send(
            "Target.attachToTarget", {"targetId": target["targetId"], "flatten": True}, session=False
        )
        self.session = attached["sessionId"]
        self.send("Page.enable")
        self.send("Page.navigate", {"url": url})

    def evaluate(self, expression):
        result = self.send(
            "Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True}
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression, what):
        deadline = time.time() + WAIT
        while time.time() < deadline:
            value = self.evaluate(expression)
            if value:
                return value
            time.sleep(0.2)
        page = self.evaluate("document.body.innerText")
        raise AssertionError(f"not within {WAIT} s: {what}\n--- the page shows:\n{page}")

    def close(self):
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def call(base, method, path, body=None, token=None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{base}/api/v1{path}", data=data, headers=headers, method=method)
    with urllib.request.urlopen(request, timeout=WAIT) as response:
        return json.loads(response.read() or b"null")


def market(base, admin_email, password):
    """A seller with stock, a buyer with a pending order; the admin's token."""
    tokens = {}
    for role in ("seller", "buyer"):
        email = f"{role}@browser.test"
        call(base, "POST", "/register", {"email": email, "password": password, "name": role, "role": role})
        tokens[role] = call(base, "POST", "/login", {"email": email, "password": password})["token"]
    item = call(
        base,
        "POST",
        "/seller/inventory",
        {"brand": "Jibu", "weight": "12kg", "location": "Kigali", "quantity": 5, "unit_price": 15000},
        tokens["seller"],
    )
    order = call(base, "POST", "/orders", {"inventory_id": item["id"], "quantity": 1}, tokens["buyer"])
    admin = call(base, "POST", "/login", {"email": admin_email, "password": password})["token"]
    return "buyer@browser.test", admin, order["id"]


def main():
    base, admin_email, password = sys.argv[1:4]
    email, admin_token, order_id = market(base, admin_email, password)
    with tempfile.TemporaryDirectory(prefix="gasstock-chromium-") as profile:
        browser = Browser(profile)
        try:
            browser.open_page(f"{base}/demo/notifications")
            browser.wait_for("document.readyState === 'complete' && !!document.getElementById('login')", "the page")
            browser.evaluate(
                f"document.getElementById('email').value = {json.dumps(email)};"
                f"document.getElementById('password').value = {json.dumps(password)};"
                "document.getElementById('login').requestSubmit(); true"
            )
            browser.wait_for(
                "document.getElementById('status').textContent === 'connected'",
                "the page signs in, gets a ticket and opens the EventSource",
            )
            call(base, "PATCH", f"/admin/orders/{order_id}/approve", {"approve": True}, admin_token)
            shown = browser.wait_for(
                "(() => { const li = document.querySelector("
                f"'#events li[data-event=\"order.approved\"][data-order-id=\"{order_id}\"]');"
                " return li && li.textContent; })()",
                f"the live notification of order {order_id}'s approval on the page",
            )
            print(f"browser test: the page shows the live notification: {shown}")
        finally:
            browser.close()


if __name__ == "__main__":
    main()
