#!/usr/bin/env python3
"""Load and checks of the kill -9 soak (scripts/soak.sh); Python standard library only.

  soak.py setup  URL STATE DB_URL GASSTOCK_CLI   users, admin (through the CLI) and stock
  soak.py load   URL STATE STOP_FILE             orders and their lifecycle until STOP_FILE exists
  soak.py verify STATE DB_URL                    every check; exit 1 if one fails

STATE is a folder: setup writes its tokens and the initial stock there, load appends every
acknowledged answer (one JSON line each, flushed), verify reads both and the database itself
(SQLite through the sqlite3 module, PostgreSQL through psql).
"""

import http.client
import json
import os
import random
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.parse

PASSWORD = "soak password 1"
BUYERS = 8
ITEMS = 4
STOCK = 1_000_000


class Api:
    """One keep-alive connection; any transport error raises (the server may be dead)."""

    def __init__(self, url):
        parsed = urllib.parse.urlparse(url)
        self.host, self.port = parsed.hostname, parsed.port
        self.conn = None

    def call(self, method, path, token=None, body=None):
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = "Bearer " + token
        data = json.dumps(body).encode() if body is not None else None
        try:
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
            self.conn.request(method, "/api/v1" + path, body=data, headers=headers)
            response = self.conn.getresponse()
            text = response.read()
        except (OSError, http.client.HTTPException):
            self.close()
            raise
        return response.status, (json.loads(text) if text else None)

    def close(self):
        if self.conn is not None:
            self.conn.close()
        self.conn = None


def expect(answer, status, what):
    if answer[0] != status:
        sys.exit(f"soak: {what}: expected {status}, got {answer[0]} {answer[1]}")
    return answer[1]


def setup(url, state, db_url, cli):
    api = Api(url)
    users = [("seller@soak.rw", "seller")] + [(f"buyer{i}@soak.rw", "buyer") for i in range(BUYERS)]
    for email, role in users:
        body = {"email": email, "password": PASSWORD, "name": email, "role": role}
        expect(api.call("POST", "/register", body=body), 201, f"register {email}")
    env = dict(os.environ, GASSTOCK_DATABASE_URL=db_url)
    subprocess.run([cli, "users", "create-admin", "--email", "admin@soak.rw", "--password-stdin"],
                   input=PASSWORD + "\n", text=True, env=env, check=True, stdout=subprocess.DEVNULL)
    tokens = {}
    for email in [u[0] for u in users] + ["admin@soak.rw"]:
        answer = api.call("POST", "/login", body={"email": email, "password": PASSWORD})
        tokens[email] = expect(answer, 200, f"login {email}")["token"]
    items = {}
    for i in range(ITEMS):
        body = {"brand": f"Soak{i}", "weight": "12kg", "location": "Kigali", "quantity": STOCK,
                "unit_price": 1000 + i}
        item = expect(api.call("POST", "/seller/inventory", tokens["seller@soak.rw"], body), 201, "stock")
        items[str(item["id"])] = STOCK
    with open(os.path.join(state, "setup.json"), "w") as f:
        json.dump({"tokens": tokens, "items": items}, f)


class Log:
    """Acknowledged answers, one JSON line each, flushed at once (this process is not killed)."""

    def __init__(self, path):
        self.file = open(path, "a")
        self.lock = threading.Lock()

    def write(self, **record):
        with self.lock:
            self.file.write(json.dumps(record) + "\n")
            self.file.flush()


def load(url, state, stop_file):
    setup_state = json.load(open(os.path.join(state, "setup.json")))
    tokens, items = setup_state["tokens"], [int(i) for i in setup_state["items"]]
    log = Log(os.path.join(state, "acks.jsonl"))
    pending = []  # (order id, buyer token) acknowledged and not yet handed to the lifecycle
    lock = threading.Lock()
    stopping = threading.Event()
    counts = {"orders": 0, "errors": 0}

    def buyer(n):
        api, token = Api(url), tokens[f"buyer{n}@soak.rw"]
        rng = random.Random(n)
        while not stopping.is_set():
            item, quantity = rng.choice(items), rng.randint(1, 3)
            try:
                status, body = api.call("POST", "/orders", token, {"inventory_id": item, "quantity": quantity})
            except OSError:
                counts["errors"] += 1
                time.sleep(0.05)
                continue
            if status == 201:
                log.write(kind="order", id=body["id"], item=item, quantity=quantity)
                with lock:
                    counts["orders"] += 1
                    pending.append((body["id"], token))

    def lifecycle(n):
        """Takes acknowledged orders through reject, cancel, or approve-invoice-deliver."""
        api, rng = Api(url), random.Random(100 + n)
        admin, seller = tokens["admin@soak.rw"], tokens["seller@soak.rw"]
        while not stopping.is_set():
            with lock:
                job = pending.pop(rng.randrange(len(pending))) if pending else None
            if job is None:
                time.sleep(0.01)
                continue
            order, buyer_token = job
            try:
                roll = rng.random()
                if roll < 0.15:
                    if api.call("PATCH", f"/admin/orders/{order}/approve", admin,
                                {"approve": False, "reason": "soak"})[0] == 200:
                        log.write(kind="rejected", id=order)
                    continue
                if roll < 0.3:
                    if api.call("POST", f"/orders/{order}/cancel", buyer_token)[0] == 200:
                        log.write(kind="cancelled", id=order)
                    continue
                if api.call("PATCH", f"/admin/orders/{order}/approve", admin, {"approve": True})[0] != 200:
                    continue
                status, invoice = api.call("POST", "/seller/invoice", seller, {"order_id": order, "delivery_fee": 500})
                if status != 201:
                    continue
                if api.call("PATCH", f"/admin/invoices/{invoice['id']}/approve", admin, {"approve": True})[0] != 200:
                    continue
                status, delivery = api.call("PATCH", f"/admin/delivery/{order}/confirm", admin)
                if status == 200:
                    payment = delivery["payment"]
                    log.write(kind="delivered", id=order, payment=payment["id"], amount=payment["amount"])
            except OSError:
                counts["errors"] += 1
                time.sleep(0.05)

    threads = [threading.Thread(target=buyer, args=(n,)) for n in range(BUYERS)]
    threads += [threading.Thread(target=lifecycle, args=(n,)) for n in range(3)]
    for thread in threads:
        thread.start()
    while not os.path.exists(stop_file):
        time.sleep(0.1)
    stopping.set()
    for thread in threads:
        thread.join()
    print(f"load: {counts['orders']} orders acknowledged, {counts['errors']} requests cut off by kills")


class Db:
    def __init__(self, url):
        self.url = url
        if url.startswith("sqlite://"):
            self.sqlite = sqlite3.connect(url[len("sqlite://"):].split("?")[0])

    def rows(self, sql):
        if self.url.startswith("sqlite://"):
            return [tuple(row) for row in self.sqlite.execute(sql).fetchall()]
        out = subprocess.run(["psql", self.url, "-X", "-q", "-A", "-t", "-F", "\t", "-v", "ON_ERROR_STOP=1",
                              "-c", sql], check=True, capture_output=True, text=True).stdout
        return [tuple(line.split("\t")) for line in out.splitlines() if line]

    def scalar(self, sql):
        return int(self.rows(sql)[0][0])


# Invariants that hold whatever was acknowledged: one SQL text for both backends, each
# counting violations.
INVARIANTS = {
    "every delivered order has exactly one payment":
        "SELECT COUNT(*) FROM orders o WHERE o.status = 'delivered' "
        "AND (SELECT COUNT(*) FROM payments p WHERE p.order_id = o.id) <> 1",
    "no payment for an order that is not delivered":
        "SELECT COUNT(*) FROM payments p JOIN orders o ON o.id = p.order_id WHERE o.status <> 'delivered'",
    "each payment is its approved invoice's amount":
        "SELECT COUNT(*) FROM payments p JOIN invoices i ON i.id = p.invoice_id "
        "WHERE i.status <> 'approved' OR i.amount <> p.amount OR i.order_id <> p.order_id",
    "each order's last status event is its status":
        "SELECT COUNT(*) FROM orders o WHERE o.status <> (SELECT e.to_status FROM status_events e "
        "WHERE e.entity = 'order' AND e.entity_id = o.id ORDER BY e.id DESC LIMIT 1)",
}


def verify(state, db_url):
    setup_state = json.load(open(os.path.join(state, "setup.json")))
    acks = [json.loads(line) for line in open(os.path.join(state, "acks.jsonl"))]
    db = Db(db_url)
    failures, passed = [], 0

    def check(name, ok, detail=""):
        nonlocal passed
        print(f"  [{'ok' if ok else 'FAILED'}] {name}{': ' + detail if detail and not ok else ''}")
        if ok:
            passed += 1
        else:
            failures.append(name)

    orders = {int(r[0]): (int(r[1]), int(r[2]), r[3]) for r in
              db.rows("SELECT id, inventory_id, quantity, status FROM orders")}
    placed = [a for a in acks if a["kind"] == "order"]
    missing = [a["id"] for a in placed if a["id"] not in orders]
    wrong = [a["id"] for a in placed if a["id"] in orders and orders[a["id"]][:2] != (a["item"], a["quantity"])]
    check(f"every acknowledged order exists ({len(placed)} acknowledged, {len(orders)} in the database)",
          not missing and not wrong, f"missing {missing[:10]}, changed {wrong[:10]}")
    for kind in ("rejected", "cancelled", "delivered"):
        acked = [a["id"] for a in acks if a["kind"] == kind]
        off = [i for i in acked if orders.get(i, (0, 0, None))[2] != kind]
        check(f"every acknowledged {kind} order is {kind} ({len(acked)})", not off, f"{off[:10]}")
    payments = {int(r[0]): (int(r[1]), int(r[2])) for r in db.rows("SELECT order_id, id, amount FROM payments")}
    delivered = [a for a in acks if a["kind"] == "delivered"]
    off = [a["id"] for a in delivered if payments.get(a["id"]) != (a["payment"], a["amount"])]
    check("every acknowledged payment is the order's one payment", not off, f"{off[:10]}")
    for name, sql in INVARIANTS.items():
        violations = db.scalar(sql)
        check(name, violations == 0, f"{violations} violations")
    live = "SELECT s.id, s.quantity, COALESCE((SELECT SUM(o.quantity) FROM orders o WHERE o.inventory_id = s.id " \
           "AND o.status NOT IN ('rejected', 'cancelled')), 0) FROM stock_items s"
    stock = {str(r[0]): (int(r[1]), int(r[2])) for r in db.rows(live)}
    off = {item: stock.get(item) for item, initial in setup_state["items"].items()
           if stock.get(item) is None or sum(stock[item]) != initial}
    check(f"stock conserved: initial = available + held by live orders ({len(stock)} items)", not off, f"{off}")
    if db_url.startswith("sqlite://"):
        result = db.rows("PRAGMA integrity_check")
        check("PRAGMA integrity_check", result == [("ok",)], f"{result[:5]}")
        foreign = db.rows("PRAGMA foreign_key_check")
        check("PRAGMA foreign_key_check", not foreign, f"{foreign[:5]}")
    else:
        db.rows("CREATE EXTENSION IF NOT EXISTS amcheck")
        indexes = db.rows("SELECT c.oid::regclass FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                          "JOIN pg_am a ON a.oid = c.relam JOIN pg_namespace n ON n.oid = c.relnamespace "
                          "WHERE a.amname = 'btree' AND n.nspname = current_schema()")
        bad = []
        for (index,) in indexes:
            try:
                db.rows(f"SELECT bt_index_parent_check('{index}'::regclass, true)")
            except subprocess.CalledProcessError as err:
                bad.append(f"{index}: {err.stderr.strip()}")
        check(f"amcheck bt_index_parent_check with heapallindexed ({len(indexes)} indexes)", not bad, "; ".join(bad))
    counts = {kind: sum(1 for a in acks if a["kind"] == kind) for kind in ("order", "rejected", "cancelled", "delivered")}
    print(f"verify: {counts['order']} acknowledged orders ({counts['delivered']} delivered, {counts['rejected']} "
          f"rejected, {counts['cancelled']} cancelled); {passed} checks passed, {len(failures)} failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    command, args = sys.argv[1], sys.argv[2:]
    {"setup": setup, "load": load, "verify": verify}[command](*args)
