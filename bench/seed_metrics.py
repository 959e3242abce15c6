#!/usr/bin/env python3
"""Seed an Upturn database with N requests of realistic history, for the
metrics and export benchmark (bench/metrics.sh).

    python3 bench/seed_metrics.py --db bench/results/seed-1000000.db
    python3 bench/seed_metrics.py --db /tmp/small.db --requests 20000 --bin target/release/upturn
    python3 bench/seed_metrics.py --postgres postgres://postgres@127.0.0.1:5432/upturn_seed -n 20000

Two phases:

1. the organisation, through the real server: starts `upturn serve` on the
   database with a bootstrap admin, creates the units (20 teams, 4 services,
   leadership) and members (a front-line member and a manager per team, a member
   per service, a leader) with `POST /api/v1/units` and `POST /api/v1/members`,
   then stops it (SIGTERM). Passwords are hashed by the server, as in production.
2. the requests, straight into the database in one transaction (SQLite: sqlite3
   executemany; PostgreSQL: CSV files loaded with psql's \\copy): per request its
   row, its timeline (`events`), its follow-ups and the units it was routed to
   (`request_units`), following the rules of domain/src/lifecycle.rs (see the
   simulation below and bench/README.md for the distribution).

Reproducible: a fixed random seed (`--seed`) gives the same requests relative to
the moment of seeding ("now"), whatever the number of worker processes. Refuses a
database that already holds requests unless `--force`, which starts from scratch
(SQLite: deletes the file; PostgreSQL: drops and recreates the schema public).

Standard library only (plus the psql client for --postgres); Python 3.9+.
"""

from __future__ import annotations

import argparse
import bisect
import hashlib
import json
import os
import random
import re
import resource
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid as uuidlib

SEEDER_VERSION = 1

ADMIN_EMAIL = "admin@metrics.bench"
PASSWORD = "bench-password"
LEADER_EMAIL = "leader@metrics.bench"
JWT_SECRET = "bench-secret-0123456789abcdef0123"

TEAMS = 20
SERVICES = ["Purchasing", "Training", "Product", "Logistics"]
# Which service a category goes to when a manager routes it down.
SERVICE_OF_CATEGORY = {
    "product": "Product",
    "service": "Training",
    "price": "Purchasing",
    "availability": "Logistics",
    "staff": "Training",
    "premises": "Logistics",
}

SECOND = 1_000_000  # microseconds
MINUTE = 60 * SECOND
HOUR = 3600 * SECOND
DAY = 86400 * SECOND

# ------------------------------------------------------------------ distribution
# Weighted choices: (value, weight).
KINDS = [("improvement", 35), ("need", 25), ("unmet_need", 12), ("idea", 13), ("praise", 15)]
CATEGORIES = [("product", 25), ("service", 18), ("price", 10), ("availability", 20),
              ("staff", 12), ("premises", 8), ("other", 7)]
URGENCIES = [("low", 20), ("normal", 60), ("high", 15), ("critical", 5)]
CHANNELS = [("in_person", 50), ("phone", 15), ("email", 15), ("web", 12), ("social", 8)]
# Satisfaction 1-5 in a follow-up, skewed high (lower after a decline).
SATISFACTION_RESOLVED = [(1, 4), (2, 6), (3, 14), (4, 38), (5, 38)]
SATISFACTION_DECLINED = [(1, 18), (2, 24), (3, 30), (4, 20), (5, 8)]

# The path of a request through the pyramid (fractions of all requests).
P_ON_THE_SPOT = 0.12        # filed already resolved at the front line
P_FRONTLINE_TEAM = 0.13     # resolved by a front-line member while with the managers
P_TO_SERVICE = 0.25         # routed to a service, answered there
P_TO_LEADERSHIP = 0.05      # routed on to leadership (most through a service)
P_LEADERSHIP_DIRECT = 0.15  # of those: straight from the managers
# the rest (0.45) is answered by the team's managers
P_DECLINE = 0.05 / 0.75     # of the answers given below the front line: ~5% of all
P_FOLLOW_UP = 0.60          # answered requests the front line follows up
P_REOPEN = 0.05             # of follow-ups: the customer is not satisfied (~3% of answered)
P_REACHED = 0.88            # follow-ups where the customer was reached
P_WOULD_RECOMMEND = 0.5     # reached follow-ups that asked would-recommend
P_CUSTOMER = 0.7            # requests with customer details
P_CONSENT = 0.6             # of those: consent to follow-up (a tracking code)
P_FILED_BY_MANAGER = 0.15
RECENT_DAYS = 14            # the last two weeks are mostly still open
P_STALE = 0.01              # older requests still open (stuck in the backlog)
SWEEP_SECONDS = 30          # a passed deadline is flagged by the next SLA sweep

TEXTS = {
    "product": [
        ("{item} in size {size}", "Customer asked for {item} in size {size}; none on the shelf",
         "Find {item} in size {size} in store"),
        ("{item} colour range", "Customer wanted {item} in a colour we do not carry",
         "More colours of {item}"),
        ("Écharpe {item} quality", "Customer found the stitching of {item} coming loose after a week",
         "A sturdier {item}"),
    ],
    "service": [
        ("Fitting-room wait", "Customer waited {n} minutes for a fitting room on a busy afternoon",
         "Shorter wait for the fitting rooms"),
        ("Help choosing {item}", "Customer wanted advice on {item} and found nobody free",
         "Someone to advise on {item}"),
    ],
    "price": [
        ("Price of {item}", "Customer saw {item} cheaper online than in store",
         "Same price in store as online"),
        ("Promotion on {item} not applied", "The till did not apply the promotion on {item}",
         "The advertised promotion at the till"),
    ],
    "availability": [
        ("{item} out of stock", "{item} in size {size} out of stock for {n} days",
         "{item} back in stock"),
        ("Order {item} for pick-up", "Customer asked to order {item} in size {size} for pick-up",
         "Pick up {item} next week"),
    ],
    "staff": [
        ("Staff member went the extra mile", "Customer praised how a colleague found {item} for them",
         "Thank the colleague"),
        ("Weekend staff training on {item}", "Weekend staff could not explain the {item} range",
         "Staff who know the {item} range"),
    ],
    "premises": [
        ("Parking at the store", "Customer could not find a parking space for {n} minutes",
         "Easier parking"),
        ("Lighting in the fitting rooms", "Fitting-room lighting makes {item} look a different colour",
         "Daylight lighting in the fitting rooms"),
    ],
    "other": [
        ("Gift wrapping", "Customer asked whether we wrap {item} as a gift",
         "Gift wrapping at the till"),
        ("Loyalty card points", "Points for buying {item} did not show on the loyalty card",
         "Points credited"),
    ],
}
# Realistic text: half the requests take the words of a labelled past request
# (French and English, as shops write them: tests/fixtures/knowledge/past.json,
# the set that measures the knowledge at intake) and its resolution, so that
# search and knowledge are measured over a real vocabulary, not templates alone.
P_REAL_TEXT = 0.5
REAL_TEXTS_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures",
                               "knowledge", "past.json")
with open(REAL_TEXTS_FILE, encoding="utf-8") as _texts:
    REAL_TEXTS: dict[str, list[dict]] = {}
    for _record in json.load(_texts):
        REAL_TEXTS.setdefault(_record["category"], []).append(_record)

ITEMS = ["trousers", "jeans", "shirts", "dresses", "jackets", "coats", "shoes", "trainers",
         "scarves", "knitwear", "swimwear", "suits", "belts", "bags", "socks"]
SIZES = ["36", "38", "40", "42", "44", "46", "48", "S", "M", "L", "XL", "XXL"]
RESOLUTION_NOTES = ["Ordered from another store; the customer was told",
                    "Done on the spot: it mattered to the customer",
                    "Added to the next delivery",
                    "Price aligned at the till",
                    "Staff briefed; will be part of next week's training",
                    "Fixed and the customer informed",
                    "Range extended from next season"]
DECLINE_NOTES = ["Not something we can offer: explained why to the customer",
                 "Out of our range for good; suggested an alternative",
                 "Supplier no longer makes it"]
ROUTE_NOTES = ["Needs the service that owns it", "Beyond what the team can change",
               "Needs a decision on budget"]
FOLLOW_UP_NOTES = ["Customer happy with the outcome", "Customer came back and bought it",
                   "Customer thanked the team", "Customer would have liked it sooner"]
REOPEN_NOTES = ["Customer not satisfied: the item still is not there",
                "Customer says the problem came back"]
FIRST_NAMES = ["Ana", "Ben", "Chloé", "David", "Emma", "Farid", "Giulia", "Hugo", "Inès",
               "Jonas", "Karim", "Léa", "Marta", "Noah", "Olga", "Paul", "Rosa", "Sami"]
LAST_NAMES = ["Martin", "Bernard", "Dubois", "Moreau", "Laurent", "Garcia", "Rossi",
              "Novak", "Keller", "Santos", "Haddad", "Nielsen"]
TRACKING_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def log(message: str) -> None:
    print(f"[seed {time.strftime('%H:%M:%S', time.gmtime())}] {message}", file=sys.stderr, flush=True)


def die(message: str) -> None:
    log(f"ERROR: {message}")
    sys.exit(1)


def cumulative(pairs):
    values = [v for v, _ in pairs]
    cum, total = [], 0
    for _, w in pairs:
        total += w
        cum.append(total)
    return values, cum, total


def picker(pairs, rng: random.Random):
    values, cum, total = cumulative(pairs)

    def pick():
        return values[bisect.bisect_right(cum, rng.random() * total)]

    return pick


# ------------------------------------------------------------------ phase 1: the organisation
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(method: str, url: str, body=None, token=None, timeout=30):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Accept", "application/json")
    if body is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            raw = response.read()
            return response.status, (json.loads(raw) if raw else None)
    except urllib.error.HTTPError as error:
        raw = error.read()
        try:
            return error.code, json.loads(raw)
        except ValueError:
            return error.code, raw.decode(errors="replace")


def create_organisation(binary: str, database_url: str, workdir: str, log_path: str) -> None:
    """Units and members through the real server, which is stopped afterwards."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ)
    env.update({
        "UPTURN_DATABASE_URL": database_url,
        "UPTURN_BIND": f"127.0.0.1:{port}",
        "UPTURN_JWT_SECRET": JWT_SECRET,
        "UPTURN_BOOTSTRAP_ADMIN_EMAIL": ADMIN_EMAIL,
        "UPTURN_BOOTSTRAP_ADMIN_PASSWORD": PASSWORD,
        "UPTURN_LOG": "warn",
    })
    log(f"starting {binary} serve on {base} for the organisation (log: {log_path})")
    with open(log_path, "ab") as server_log:
        server = subprocess.Popen([binary, "serve"], env=env, stdout=server_log,
                                  stderr=subprocess.STDOUT, cwd=workdir)
    try:
        deadline = time.monotonic() + 120
        while True:
            if server.poll() is not None:
                die(f"the server exited ({server.returncode}) before it was ready; see {log_path}")
            try:
                status, _ = http("GET", f"{base}/readyz", timeout=2)
                if status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                die(f"GET /readyz did not answer 200 within 120 s; see {log_path}")
            time.sleep(0.2)
        status, body = http("POST", f"{base}/api/v1/auth/login", {"email": ADMIN_EMAIL, "password": PASSWORD})
        if status != 200:
            die(f"admin login answered {status}: {body}")
        token = body["access_token"]
        status, units = http("GET", f"{base}/api/v1/units", token=token)
        if status != 200:
            die(f"GET /units answered {status}: {units}")
        units = units.get("items", units) if isinstance(units, dict) else units
        by_name = {u["name"]: u for u in units}

        def unit(name: str, kind: str) -> str:
            if name in by_name:
                return by_name[name]["id"]
            status, body = http("POST", f"{base}/api/v1/units", {"name": name, "kind": kind}, token)
            if status not in (200, 201):
                die(f"POST /units {name} answered {status}: {body}")
            by_name[name] = body
            return body["id"]

        def member(name: str, email: str, role: str, unit_id: str) -> None:
            status, body = http("POST", f"{base}/api/v1/members",
                                {"name": name, "email": email, "role": role,
                                 "unit_id": unit_id, "password": PASSWORD}, token)
            if status == 409:
                return  # already there (a re-run on an organisation-only file)
            if status not in (200, 201):
                die(f"POST /members {email} answered {status}: {body}")

        for t in range(1, TEAMS + 1):
            team = unit(f"Store {t:02d}", "team")
            member(f"Front {t:02d}", f"front{t:02d}@metrics.bench", "frontline", team)
            member(f"Manager {t:02d}", f"manager{t:02d}@metrics.bench", "manager", team)
        for name in SERVICES:
            service = unit(name, "service")
            member(f"{name} desk", f"{name.lower()}@metrics.bench", "service", service)
        leadership = unit("Leadership", "leadership")
        member("Leader", LEADER_EMAIL, "leader", leadership)
        status, body = http("POST", f"{base}/api/v1/auth/login", {"email": LEADER_EMAIL, "password": PASSWORD})
        if status != 200:
            die(f"leader login answered {status}: {body}")
        log(f"organisation ready: {TEAMS} teams, {len(SERVICES)} services, leadership; "
            f"{2 * TEAMS + len(SERVICES) + 1} members")
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                log("server did not stop within 30 s; killing it")
                server.kill()
                server.wait()
    if server.returncode not in (0, -signal.SIGTERM):
        die(f"the server exited with {server.returncode}; see {log_path}")


# ------------------------------------------------------------------ storage formats
# sea-orm on SQLite (sqlx) stores a uuid as a 16-byte BLOB and a DateTime<Utc> as
# RFC 3339 text with a "+00:00" offset and as many fraction digits as needed
# (none, 3 or 6: chrono's SecondsFormat::AutoSi). Checked against the rows the
# server wrote in phase 1; anything else stops the seeder.
TIME_RE = re.compile(r"^\d{4}-\d\d-\d\d([T ])\d\d:\d\d:\d\d(\.\d{1,9})?(\+00:00|Z)$")


def detect_formats(conn: sqlite3.Connection) -> dict:
    kind, value = conn.execute("SELECT typeof(id), id FROM units LIMIT 1").fetchone()
    if kind == "blob" and len(value) == 16:
        uuid_format = "blob"
    elif kind == "text" and re.fullmatch(r"[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}", value):
        uuid_format = "text"
    else:
        die(f"units.id is stored as {kind} {value!r}: unknown uuid format, update seed_metrics.py")
    samples = [r[0] for r in conn.execute(
        "SELECT created_at FROM units UNION ALL SELECT created_at FROM members")]
    seps, offsets = set(), set()
    for sample in samples:
        m = TIME_RE.match(sample or "")
        if not m:
            die(f"a timestamp is stored as {sample!r}: unknown format, update seed_metrics.py")
        seps.add(m.group(1))
        offsets.add(m.group(3))
    if len(seps) != 1 or len(offsets) != 1:
        die(f"mixed timestamp formats in units/members: {samples[:5]}")
    return {"uuid": uuid_format, "sep": seps.pop(), "offset": offsets.pop()}


def describe_formats(formats: dict) -> str:
    uuid_desc = "16-byte blob" if formats["uuid"] == "blob" else "hyphenated text"
    return (f"uuid {uuid_desc}, time 'YYYY-MM-DD{formats['sep']}HH:MM:SS[.fff|.ffffff]"
            f"{formats['offset']}'")


_HMS = []  # "HH:MM:SS" for every second of a day, built once per process


def time_text(formats: dict):
    """A function: microseconds since the epoch -> the text the server stores."""
    if not _HMS:
        _HMS.extend("%02d:%02d:%02d" % (h, m, s) for h in range(24) for m in range(60) for s in range(60))
    sep, offset, hms, days = formats["sep"], formats["offset"], _HMS, {}

    def text(us: int) -> str:
        seconds, fraction = divmod(us, SECOND)
        day, second_of_day = divmod(seconds, 86400)
        prefix = days.get(day)
        if prefix is None:
            prefix = days[day] = time.strftime("%Y-%m-%d", time.gmtime(day * 86400)) + sep
        if fraction % 1000:
            return "%s%s.%06d%s" % (prefix, hms[second_of_day], fraction, offset)
        if fraction:
            return "%s%s.%03d%s" % (prefix, hms[second_of_day], fraction // 1000, offset)
        return prefix + hms[second_of_day] + offset

    return text


# ------------------------------------------------------------------ phase 2: the requests
REQUEST_COLUMNS = [
    "id", "number", "kind", "category", "urgency", "channel", "title", "description",
    "customer_expectation", "customer_name", "customer_contact", "customer_consent", "status",
    "level", "unit_id", "team_id", "filed_by", "assignee_id", "version", "tracking_code",
    "sla_acknowledge_seconds", "sla_resolve_seconds", "acknowledge_by", "resolve_by",
    "sla_breached", "resolved_level", "resolved_unit_id", "resolution_note", "reopen_count",
    "filed_at", "arrived_at", "acknowledged_at", "resolved_at", "closed_at", "updated_at",
    "search_text", "acknowledge_breached_at", "resolve_breached_at", "next_deadline_at",
]
EVENT_COLUMNS = ["id", "request_id", "type", "actor_id", "from_level", "to_level",
                 "from_status", "to_status", "note", "internal", "at"]
FOLLOW_UP_COLUMNS = ["id", "request_id", "event_id", "customer_reached", "satisfaction",
                     "would_recommend", "note", "reopen", "recorded_by", "at"]
REQUEST_UNIT_COLUMNS = ["request_id", "unit_id"]
# uuid columns, converted when the server stores uuids as text
UUID_COLUMNS = {
    "requests": [REQUEST_COLUMNS.index(c) for c in
                 ("id", "unit_id", "team_id", "filed_by", "assignee_id", "resolved_unit_id")],
    "events": [0, 1, 3],
    "follow_ups": [0, 1, 2, 8],
    "request_units": [0, 1],
}
OPEN = ("new", "acknowledged", "in_progress")


class Org:
    """The seeded organisation's ids (raw 16 bytes), read back from the file."""

    def __init__(self, conn: sqlite3.Connection):
        units = conn.execute("SELECT id, name FROM units").fetchall()
        members = conn.execute("SELECT id, email FROM members").fetchall()
        raw = (lambda v: v) if isinstance(units[0][0], bytes) else (lambda v: uuidlib.UUID(v).bytes)
        member = {email: raw(mid) for mid, email in members}
        unit = {name: raw(uid) for uid, name in units}
        try:
            self.teams = [(unit[f"Store {t:02d}"], member[f"front{t:02d}@metrics.bench"],
                           member[f"manager{t:02d}@metrics.bench"]) for t in range(1, TEAMS + 1)]
            self.services = {name: (unit[name], member[f"{name.lower()}@metrics.bench"])
                             for name in SERVICES}
            self.leadership = unit["Leadership"]
            self.leader = member[LEADER_EMAIL]
        except KeyError as missing:
            die(f"the organisation is incomplete ({missing} missing)")
        self.service_member = {u: m for u, m in self.services.values()}


def sla_policies(conn: sqlite3.Connection) -> dict:
    """The policies in force (the defaults unless changed): urgency -> (ack s, resolve s)."""
    policies = {"critical": (900, 14400), "high": (3600, 86400), "normal": (14400, 259200),
                "low": (86400, 1209600)}
    for urgency, ack, res in conn.execute(
            "SELECT urgency, acknowledge_within_seconds, resolve_within_seconds FROM sla_policies"):
        policies[urgency] = (int(ack), int(res))
    return policies


def tracking_code(number: int) -> str:
    """A code like K7QF-2M9X, unique per request number (a bijection of the
    number modulo 31^8, so no two requests share one)."""
    value = (number * 2654435761 + 977_123_456) % (31 ** 8)
    chars = []
    for _ in range(8):
        value, digit = divmod(value, 31)
        chars.append(TRACKING_ALPHABET[digit])
    return "".join(chars[:4]) + "-" + "".join(chars[4:])


class Generator:
    """Plans each request's life, then plays it forward to "now" with the
    rules of domain/src/lifecycle.rs, adding the SLA sweeper's breaches on the
    way. One generator per chunk of requests, with its own random stream."""

    def __init__(self, org: Org, formats: dict, policies: dict, now_us: int, rng: random.Random):
        self.org, self.policies, self.now, self.rng = org, policies, now_us, rng
        self.t = time_text(formats)
        getrandbits = rng.getrandbits

        def uuid7(us: int) -> bytes:
            # uuid v7: 48-bit unix milliseconds, version 7, 12 bits of sub-millisecond
            # time (so ids sort like the times they stand for), variant, 62 random bits.
            ms, sub_us = divmod(us, 1000)
            return ((ms << 80) | 0x7000_0000_0000_0000_0000 | (((sub_us * 4096) // 1000) << 64)
                    | 0x8000_0000_0000_0000 | getrandbits(62)).to_bytes(16, "big")

        self.uuid7 = uuid7
        self.kind = picker(KINDS, rng)
        self.category = picker(CATEGORIES, rng)
        self.urgency = picker(URGENCIES, rng)
        self.channel = picker(CHANNELS, rng)
        self.sat_resolved = picker(SATISFACTION_RESOLVED, rng)
        self.sat_declined = picker(SATISFACTION_DECLINED, rng)
        # busier and quieter stores
        self.team = picker([(i, 4 + (i * 7) % 5) for i in range(TEAMS)], rng)
        self.stats = {}

    def lognormal(self, scale_us: int, median: float, sigma: float) -> int:
        """A duration: median × scale, spread lognormally; at least a second."""
        return max(SECOND, int(scale_us * median * self.rng.lognormvariate(0.0, sigma)))

    def one_of(self, values):
        return values[int(self.rng.random() * len(values))]

    def plan(self, filed: int, ack_us: int, res_us: int, category: str, team):
        """What would happen to the request if nothing held it up:
        (path, on_the_spot, [(at, action, actor, argument)], index after the first answer)."""
        rng, org = self.rng, self.org
        _, front, manager = team
        actions = []
        t = filed
        u = rng.random()
        on_spot = u < P_ON_THE_SPOT
        u -= P_ON_THE_SPOT

        def ack_delay():
            return self.lognormal(ack_us, 0.18, 0.85)

        def work(median, sigma=1.0):
            return self.lognormal(res_us, median, sigma)

        def answer(at, actor):
            actions.append((at, "decline" if rng.random() < P_DECLINE else "resolve", actor, None))

        if on_spot:
            path = "on_the_spot"
        elif u < P_FRONTLINE_TEAM:
            path = "frontline_team"
            if rng.random() < 0.4:
                t += ack_delay()
                actions.append((t, "ack", manager, None))
            t += work(0.04)
            actions.append((t, "resolve", front, None))
        elif u < P_FRONTLINE_TEAM + P_TO_SERVICE + P_TO_LEADERSHIP:
            leadership = u >= P_FRONTLINE_TEAM + P_TO_SERVICE
            direct = leadership and rng.random() < P_LEADERSHIP_DIRECT
            path = "leadership" if leadership else "service"
            if rng.random() < 0.7:
                t += ack_delay()
                actions.append((t, "ack", manager, None))
            t += work(0.03, 0.9)
            if direct:
                actions.append((t, "route", manager, (org.leadership, "leadership")))
            else:
                service_unit, service_member = org.services[
                    SERVICE_OF_CATEGORY.get(category) or self.one_of(SERVICES)]
                actions.append((t, "route", manager, (service_unit, "service")))
                t += ack_delay()
                actions.append((t, "ack", service_member, None))
                if rng.random() < 0.5:
                    t += work(0.02)
                    actions.append((t, "start", service_member, None))
                if leadership:
                    t += work(0.04, 0.9)
                    actions.append((t, "route", service_member, (org.leadership, "leadership")))
                else:
                    t += work(0.10)
                    answer(t, service_member)
            if leadership:
                t += ack_delay()
                actions.append((t, "ack", org.leader, None))
                if rng.random() < 0.6:
                    t += work(0.02)
                    actions.append((t, "start", org.leader, None))
                t += work(0.12)
                answer(t, org.leader)
        else:
            path = "manager"
            t += ack_delay()
            actions.append((t, "ack", manager, None))
            if rng.random() < 0.6:
                t += work(0.02)
                actions.append((t, "start", manager, None))
            t += work(0.10)
            answer(t, manager)
        answered_at = len(actions)  # index just after the first answer
        # The follow-up: closes the request, or reopens it (the customer is not
        # satisfied), after which it is answered again and maybe followed up again.
        if rng.random() < P_FOLLOW_UP:
            t += self.lognormal(DAY, 1.2, 0.9)
            if rng.random() < P_REOPEN:
                actions.append((t, "reopen", front, None))
                t += work(0.08)
                actions.append((t, "resolve", None, None))  # by whoever holds it then
                if rng.random() < P_FOLLOW_UP:
                    t += self.lognormal(DAY, 1.2, 0.9)
                    actions.append((t, "follow_up", front, None))
            else:
                actions.append((t, "follow_up", front, None))
        return path, on_spot, actions, answered_at

    def request(self, number: int, filed: int, requests, events, follow_ups, request_units):
        """Appends one request's row and its timeline's rows."""
        rng, org, T, uuid7 = self.rng, self.org, self.t, self.uuid7
        random_ = rng.random
        team = org.teams[self.team()]
        team_id, front, manager = team
        filer = manager if random_() < P_FILED_BY_MANAGER else front
        kind, category, urgency, channel = self.kind(), self.category(), self.urgency(), self.channel()
        ack_s, res_s = self.policies[urgency]
        ack_us, res_us = ack_s * SECOND, res_s * SECOND
        real = REAL_TEXTS.get(category) if random_() < P_REAL_TEXT else None
        if real:
            record = self.one_of(real)
            title, description, expectation = record["title"], record["description"], record["customer_expectation"]
            self.resolution = record["resolution_note"]
        else:
            title, description, expectation = self.one_of(TEXTS[category])
            values = {"item": self.one_of(ITEMS), "size": self.one_of(SIZES), "n": 5 + int(random_() * 36)}
            title = title.format(**values)
            description = description.format(**values)
            expectation = expectation.format(**values)
            self.resolution = None
        customer_name = customer_contact = tracking = None
        consent = 0
        if random_() < P_CUSTOMER:
            first, last = self.one_of(FIRST_NAMES), self.one_of(LAST_NAMES)
            customer_name = f"{first} {last}"
            if random_() < 0.6:
                customer_contact = f"{first}.{last}@example.com".lower()
            else:
                customer_contact = "+33 6 %02d %02d %02d %02d" % tuple(10 + int(random_() * 90) for _ in range(4))
            if random_() < P_CONSENT:
                consent = 1
                tracking = tracking_code(number)

        path, on_spot, actions, answered_at = self.plan(filed, ack_us, res_us, category, team)
        # Recent requests are mostly still open somewhere before their answer;
        # a few older ones are stuck in the backlog.
        age_days = (self.now - filed) / DAY
        p_stall = max(0.0, 0.9 - 0.04 * age_days) if age_days < RECENT_DAYS else P_STALE
        if not on_spot and random_() < p_stall:
            del actions[int(random_() * answered_at):]
        # Nothing happens after now.
        while actions and actions[-1][0] >= self.now:
            actions.pop()

        rid = uuid7(filed)
        # The request's state, as domain/src/lifecycle.rs keeps it.
        status, level, unit, assignee = "new", "manager", team_id, None
        ack_by, res_by = filed + ack_us, filed + res_us
        ack_breached = res_breached = None
        resolved_level = resolved_unit = note = None
        reopens = 0
        arrived, acknowledged, resolved, closed = filed, None, None, None
        last = filed
        version = 1
        breached_once = False
        # The text of every event time, reused for the request's own times.
        filed_text = T(filed)
        text = {filed: filed_text}
        if on_spot:
            note = self.resolution or self.one_of(RESOLUTION_NOTES)
            status, level, resolved_level, resolved_unit, resolved = "resolved", "frontline", "frontline", team_id, filed
            events.append((uuid7(filed), rid, "filed", filer, None, "frontline", None, "resolved", note, 0, filed_text))
        else:
            events.append((uuid7(filed), rid, "filed", filer, None, "manager", None, "new", None, 0, filed_text))
        routed = []
        sweep_span = SWEEP_SECONDS * SECOND - 1000

        for at, action, actor, arg in actions + [(self.now, None, None, None)]:
            # The SLA sweeper: each passed deadline flagged once, at the first sweep
            # after it passed while it applied, when that came before this action.
            while status in OPEN:
                if status == "new" and ack_breached is None:
                    due, which = max(ack_by, last), "acknowledge"
                    if res_breached is None and max(res_by, last) < due:
                        due, which = max(res_by, last), "resolve"
                elif res_breached is None:
                    due, which = max(res_by, last), "resolve"
                else:
                    break
                due += 1000 + int(random_() * sweep_span)
                if due >= at:
                    break
                if which == "acknowledge":
                    ack_breached = due
                else:
                    res_breached = due
                due_text = text[due] = T(due)
                events.append((uuid7(due), rid, "sla_breached", None, level, level, status, status,
                               f"{which} deadline passed", 0, due_text))
                last = due
                version += 1
                breached_once = True
            if action is None:
                break
            before_level, before_status = level, status
            event_note = None
            if action == "ack":
                status, assignee = "acknowledged", actor
                acknowledged = acknowledged or at
                kind_ = "acknowledged"
            elif action == "start":
                status = "in_progress"
                acknowledged = acknowledged or at
                assignee = assignee or actor
                kind_ = "status_changed"
            elif action == "route":
                unit, level = arg
                status, assignee, arrived, ack_by, ack_breached = "new", None, at, at + ack_us, None
                if unit not in routed:
                    routed.append(unit)
                kind_ = "escalated" if level == "leadership" else "routed"
                event_note = self.one_of(ROUTE_NOTES)
            elif action == "resolve" or action == "decline":
                if actor is None:  # the answer after a reopen: whoever holds it
                    if level == "manager":
                        actor = manager if random_() < 0.5 else front
                    elif level == "service":
                        actor = org.service_member[unit]
                    else:
                        actor = org.leader
                # Anyone of the team may resolve while the managers hold it: the front line.
                answered_level = "frontline" if (level == "manager" and actor == front) else level
                if action == "resolve":
                    event_note = note = self.resolution or self.one_of(RESOLUTION_NOTES)
                else:
                    event_note = note = self.one_of(DECLINE_NOTES)
                status = "resolved" if action == "resolve" else "declined"
                resolved_level, resolved_unit = answered_level, unit
                level, unit, resolved, assignee = "frontline", team_id, at, None
                kind_ = "resolved" if action == "resolve" else "declined"
            else:  # follow_up or reopen: what the front line heard back
                reopen = action == "reopen"
                reached = reopen or random_() < P_REACHED
                satisfaction = would = None
                if reopen:
                    satisfaction = self.one_of((1, 1, 2, 2, 3))
                    event_note = self.one_of(REOPEN_NOTES)
                elif reached:
                    satisfaction = self.sat_declined() if status == "declined" else self.sat_resolved()
                    if random_() < P_WOULD_RECOMMEND:
                        would = max(0, min(10, 2 * satisfaction - 2 + int(random_() * 4)))
                    if random_() < 0.5:
                        event_note = self.one_of(FOLLOW_UP_NOTES)
                else:
                    event_note = "Customer could not be reached"
                if reopen:
                    # back to work at the level, and in the unit, that answered
                    level = "manager" if resolved_level in ("frontline", None) else resolved_level
                    unit = resolved_unit or team_id
                    status, arrived, reopens = "in_progress", at, reopens + 1
                    resolved_level = resolved_unit = note = resolved = None
                    kind_ = "reopened"
                else:
                    status, closed = "closed", at
                    kind_ = "follow_up_recorded"
            event_id = uuid7(at)
            at_text = text[at] = T(at)
            events.append((event_id, rid, kind_, actor, before_level, level, before_status, status,
                           event_note, 0, at_text))
            if action == "follow_up" or action == "reopen":
                follow_ups.append((uuid7(at), rid, event_id, int(reached), satisfaction, would,
                                   event_note, int(reopen), actor, at_text))
            last = at
            version += 1

        is_open = status in OPEN
        breached_now = (status == "new" and ack_breached is not None) or (is_open and res_breached is not None)
        if is_open and status == "new" and ack_by < res_by:
            next_deadline = ack_by
        else:
            next_deadline = res_by
        stats = self.stats
        key = (path, status)
        stats[key] = stats.get(key, 0) + 1
        if breached_once:
            stats["with_breach"] = stats.get("with_breach", 0) + 1
        if reopens:
            stats["reopened"] = stats.get("reopened", 0) + 1

        ack_by_text, res_by_text = T(ack_by), T(res_by)
        requests.append((
            rid, number, kind, category, urgency, channel, title, description, expectation,
            customer_name, customer_contact, consent, status, level, unit, team_id, filer, assignee,
            version, tracking, ack_s, res_s, ack_by_text, res_by_text, int(breached_now),
            resolved_level, resolved_unit, note, reopens, filed_text, text[arrived],
            acknowledged and text[acknowledged], resolved and text[resolved], closed and text[closed],
            text[last], f"{title}\n{description}\n{expectation}".lower(),
            ack_breached and text[ack_breached], res_breached and text[res_breached],
            ack_by_text if next_deadline == ack_by else res_by_text,
        ))
        for u in routed:
            request_units.append((rid, u))


# ------------------------------------------------------------------ chunks, in worker processes
_WORKER = {}


def worker_init(org: Org, formats: dict, policies: dict, now_us: int, seed: int) -> None:
    _WORKER.update(org=org, formats=formats, policies=policies, now_us=now_us, seed=seed)


def to_text_uuids(rows, columns):
    out = []
    for row in rows:
        row = list(row)
        for c in columns:
            if row[c] is not None:
                row[c] = str(uuidlib.UUID(bytes=row[c]))
        out.append(tuple(row))
    return out


def generate_chunk(task):
    """One chunk of requests, from a random stream of its own: the data do not
    depend on how many processes generate them."""
    index, first_number, filed_times = task
    w = _WORKER
    rng = random.Random(f"{w['seed']}:{index}")
    gen = Generator(w["org"], w["formats"], w["policies"], w["now_us"], rng)
    requests, events, follow_ups, units = [], [], [], []
    for offset, filed in enumerate(filed_times):
        gen.request(first_number + offset, filed, requests, events, follow_ups, units)
    if w["formats"]["uuid"] == "text":
        requests = to_text_uuids(requests, UUID_COLUMNS["requests"])
        events = to_text_uuids(events, UUID_COLUMNS["events"])
        follow_ups = to_text_uuids(follow_ups, UUID_COLUMNS["follow_ups"])
        units = to_text_uuids(units, UUID_COLUMNS["request_units"])
    return requests, events, follow_ups, units, gen.stats


def bounded(pool, tasks, in_flight: int):
    """The chunks' results in order, with at most `in_flight` chunks generated
    ahead of the inserts (so memory stays bounded if the inserts are slower)."""
    from collections import deque
    pending = deque()
    remaining = iter(tasks)

    def submit():
        task = next(remaining, None)
        if task is not None:
            pending.append(pool.apply_async(generate_chunk, (task,)))

    for _ in range(in_flight):
        submit()
    while pending:
        result = pending.popleft().get()
        submit()
        yield result


def insert_sql(table: str, columns) -> str:
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"


def sqlite_columns(conn: sqlite3.Connection) -> dict:
    """table -> [(column, not null, has a default, primary key)]"""
    return {table: [(row[1], bool(row[3]), row[4] is not None, bool(row[5]))
                    for row in conn.execute(f"PRAGMA table_info({table})").fetchall()]
            for table in ("requests", "events", "follow_ups", "request_units")}


def postgres_columns(conn) -> dict:
    """table -> [(column, not null, has a default, primary key)]"""
    out = {table: [] for table in ("requests", "events", "follow_ups", "request_units")}
    for table, column, nullable, default in conn.execute(
            "SELECT table_name, column_name, is_nullable, COALESCE(column_default, '') "
            "FROM information_schema.columns WHERE table_schema = current_schema() "
            "AND table_name IN ('requests', 'events', 'follow_ups', 'request_units')"):
        out[table].append((column, nullable == "NO", default != "", False))
    return out


def check_schema(tables: dict) -> None:
    """Stops when the schema moved under the seeder: a column it writes is gone,
    or a new column has no default and would make every insert fail."""
    for table, columns in (("requests", REQUEST_COLUMNS), ("events", EVENT_COLUMNS),
                           ("follow_ups", FOLLOW_UP_COLUMNS),
                           ("request_units", REQUEST_UNIT_COLUMNS)):
        info = tables.get(table)
        if not info:
            die(f"table {table} does not exist: did the server run its migrations?")
        have = {row[0]: row for row in info}
        missing = [c for c in columns if c not in have]
        if missing:
            die(f"{table} has no column(s) {missing}: update seed_metrics.py")
        for name, (_, notnull, has_default, pk) in have.items():
            if name not in columns:
                if notnull and not has_default and not pk:
                    die(f"{table}.{name} is new, NOT NULL and has no default: update seed_metrics.py")
                log(f"note: {table}.{name} is not written by the seeder (left to its default)")


class Chunks:
    """The generated chunks, in order: filing times drawn from the seed, chunks
    generated by `jobs` worker processes (or here when 1)."""

    def __init__(self, org, formats, policies, count: int, seed: int, days: int, chunk: int, jobs: int):
        self.now_us = time.time_ns() // 1000
        start_us = self.now_us - days * DAY
        rng = random.Random(seed)
        # Filing times: uniform over the period; numbers follow filing order.
        span = self.now_us - start_us
        filed_times = sorted(start_us + int(rng.random() * span) for _ in range(count))
        self.earliest_us = filed_times[0]
        self.tasks = [(i // chunk, i + 1, filed_times[i:i + chunk]) for i in range(0, count, chunk)]
        self.init_args = (org, formats, policies, self.now_us, seed)
        self.jobs = jobs
        self.pool = None

    def __enter__(self):
        if self.jobs > 1:
            import multiprocessing
            self.pool = multiprocessing.get_context("fork").Pool(self.jobs, worker_init, self.init_args)
            return bounded(self.pool, self.tasks, 2 * self.jobs)
        worker_init(*self.init_args)
        return map(generate_chunk, self.tasks)

    def __exit__(self, *exc):
        if self.pool is not None:
            self.pool.terminate()
            self.pool.join()
        return False


class Progress:
    def __init__(self, count: int):
        self.count, self.started, self.next = count, time.monotonic(), time.monotonic() + 10
        self.totals = {"requests": 0, "events": 0, "follow_ups": 0, "request_units": 0}
        self.stats = {}

    def add(self, tables, chunk_stats):
        for table, rows in tables:
            self.totals[table] += len(rows)
        for key, value in chunk_stats.items():
            self.stats[key] = self.stats.get(key, 0) + value
        if time.monotonic() >= self.next:
            self.next = time.monotonic() + 10
            elapsed = time.monotonic() - self.started
            log(f"{self.totals['requests']:,} / {self.count:,} requests ({elapsed:.0f} s, "
                f"{self.totals['requests'] / elapsed:,.0f}/s)")

    def result(self, chunks: Chunks) -> dict:
        return {"totals": self.totals, "stats": self.stats, "now_us": chunks.now_us,
                "earliest_us": chunks.earliest_us, "insert_seconds": time.monotonic() - self.started}


KNOWN_TABLES = {"requests", "events", "follow_ups", "request_units", "units", "members",
                "sla_policies", "seaql_migrations", "routing_rules", "watchers", "inbox_items",
                "idempotency_keys"}


def note_other_tables(tables_and_rows) -> None:
    for table, rows in tables_and_rows:
        if table not in KNOWN_TABLES:
            log(f"note: table {table} ({rows} rows) was not written by the seeder; what it derives "
                "from requests must be rebuilt by the next `upturn migrate` / `upturn serve`")


def seed_sqlite(db_path: str, count: int, seed: int, days: int, chunk: int, jobs: int) -> dict:
    conn = sqlite3.connect(db_path, isolation_level=None)
    # A rollback journal for the load: the new pages are written once, where a WAL
    # would take them all and copy them again into the file at the checkpoint.
    # The file is given back in WAL mode, as the server keeps it.
    mode = conn.execute("PRAGMA journal_mode=TRUNCATE").fetchone()[0]
    if mode.lower() != "truncate":
        die(f"could not leave WAL mode (journal_mode is {mode}): is a server still using {db_path}?")
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA cache_size=-524288")  # 512 MiB
    conn.execute("PRAGMA temp_store=MEMORY")
    check_schema(sqlite_columns(conn))
    formats = detect_formats(conn)
    org = Org(conn)
    policies = sla_policies(conn)
    log(f"storage formats: {describe_formats(formats)}")
    chunks = Chunks(org, formats, policies, count, seed, days, chunk, jobs)

    # Secondary indexes are dropped for the load and created again from their own
    # definitions at the end, in the same transaction: much faster than keeping them.
    tables = ("requests", "events", "follow_ups", "request_units")
    indexes = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        "AND tbl_name IN (%s)" % ",".join("?" * len(tables)), tables).fetchall()
    sql = {
        "requests": insert_sql("requests", REQUEST_COLUMNS),
        "events": insert_sql("events", EVENT_COLUMNS),
        "follow_ups": insert_sql("follow_ups", FOLLOW_UP_COLUMNS),
        "request_units": insert_sql("request_units", REQUEST_UNIT_COLUMNS),
    }
    progress = Progress(count)
    conn.execute("BEGIN")
    try:
        for name, _ in indexes:
            conn.execute(f'DROP INDEX "{name}"')
        with chunks as results:
            for requests, events, follow_ups, units, chunk_stats in results:
                tables = (("requests", requests), ("events", events),
                          ("follow_ups", follow_ups), ("request_units", units))
                for table, rows in tables:
                    conn.executemany(sql[table], rows)
                progress.add(tables, chunk_stats)
        log(f"{progress.totals['requests']:,} requests inserted in {time.monotonic() - progress.started:.1f} s; "
            f"creating {len(indexes)} indexes")
        index_started = time.monotonic()
        for name, index_sql in indexes:
            conn.execute(index_sql)
        log(f"indexes created in {time.monotonic() - index_started:.1f} s")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("PRAGMA journal_mode=WAL")
    note_other_tables(
        (table, conn.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0])
        for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                     "AND name NOT LIKE 'sqlite_%' ORDER BY name").fetchall())
    conn.close()
    return progress.result(chunks)


# ------------------------------------------------------------------ PostgreSQL (optional)
class Psql:
    """Just enough of a connection, over the psql client, to read the organisation."""

    def __init__(self, url: str):
        self.url = url

    def script(self, text: str) -> str:
        done = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-At", "-F", "\t",
                               "-d", self.url, "-f", "-"],
                              input=text, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(done.stderr.strip() or f"psql exited with {done.returncode}")
        return done.stdout

    def execute(self, sql: str):
        rows = [tuple(line.split("\t")) for line in self.script(sql + ";\n").splitlines()]
        return PsqlRows(rows)


class PsqlRows(list):
    def fetchall(self):
        return list(self)

    def fetchone(self):
        return self[0] if self else None


def seed_postgres(url: str, count: int, seed: int, days: int, chunk: int, jobs: int) -> dict:
    """The same requests, written as CSV and loaded with psql's \\copy in one transaction."""
    import csv
    import shutil
    import tempfile

    conn = Psql(url)
    check_schema(postgres_columns(conn))
    formats = {"uuid": "text", "sep": "T", "offset": "+00:00"}  # what COPY reads for uuid and timestamptz
    org = Org(conn)
    policies = sla_policies(conn)
    chunks = Chunks(org, formats, policies, count, seed, days, chunk, jobs)
    workdir = tempfile.mkdtemp(prefix="upturn-seed-")
    progress = Progress(count)
    columns = {"requests": REQUEST_COLUMNS, "events": EVENT_COLUMNS,
               "follow_ups": FOLLOW_UP_COLUMNS, "request_units": REQUEST_UNIT_COLUMNS}
    try:
        files = {table: open(os.path.join(workdir, f"{table}.csv"), "w", newline="") for table in columns}
        writers = {table: csv.writer(f) for table, f in files.items()}
        with chunks as results:
            for requests, events, follow_ups, units, chunk_stats in results:
                tables = (("requests", requests), ("events", events),
                          ("follow_ups", follow_ups), ("request_units", units))
                for table, rows in tables:
                    writers[table].writerows(rows)
                progress.add(tables, chunk_stats)
        for f in files.values():
            f.close()
        log(f"{progress.totals['requests']:,} requests written as CSV in "
            f"{time.monotonic() - progress.started:.1f} s; loading with psql \\copy")
        load = ["BEGIN;"]
        # CSV reads an unquoted empty field as NULL: an empty description is text.
        not_null = {"requests": "description"}
        for table, cols in columns.items():
            force = f", FORCE_NOT_NULL ({not_null[table]})" if table in not_null else ""
            load.append(f"\\copy {table} ({', '.join(cols)}) FROM '{os.path.join(workdir, table + '.csv')}' "
                        f"WITH (FORMAT csv{force})")
        # `upturn serve` numbers new requests from this sequence.
        load.append("SELECT setval('request_number', (SELECT MAX(number) FROM requests));")
        load.append("COMMIT;")
        load.append("ANALYZE requests; ANALYZE events; ANALYZE follow_ups; ANALYZE request_units;")
        copy_started = time.monotonic()
        conn.script("\n".join(load) + "\n")
        log(f"loaded in {time.monotonic() - copy_started:.1f} s")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    note_other_tables(
        (table, int(conn.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]))
        for (table,) in conn.execute("SELECT table_name FROM information_schema.tables "
                                     "WHERE table_schema = current_schema() ORDER BY 1"))
    return progress.result(chunks)


def rfc3339(us: int) -> str:
    seconds, fraction = divmod(us, SECOND)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + (".%06dZ" % fraction)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--db", help="SQLite file to seed (created if missing)")
    target.add_argument("--postgres", metavar="URL",
                        help="PostgreSQL database to seed instead, postgres://user@host:port/db (must exist; "
                             "loaded with psql \\copy)")
    parser.add_argument("--requests", "-n", type=int, default=1_000_000,
                        help="requests to seed (default 1,000,000)")
    parser.add_argument("--days", type=int, default=730,
                        help="filings spread uniformly over this many days before now (default 730)")
    parser.add_argument("--seed", type=int, default=20261123, help="random seed (default 20261123)")
    parser.add_argument("--bin", default=None, help="the upturn binary (default: target/release/upturn)")
    parser.add_argument("--chunk", type=int, default=10_000, help="requests per generated chunk (default 10,000)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                        help="processes generating chunks (default: the number of cores; 1: none)")
    parser.add_argument("--force", action="store_true",
                        help="SQLite: delete the file (and its -wal/-shm) first; PostgreSQL: drop and "
                             "recreate the schema public of the database first; then seed from scratch")
    parser.add_argument("--info", default=None,
                        help="write what was seeded as JSON here (default: <db>.json; with --postgres: "
                             "bench/results/seed-postgres-<database>.json)")
    args = parser.parse_args()
    with open(os.path.abspath(__file__), "rb") as source:
        seeder_sha256 = hashlib.sha256(source.read()).hexdigest()
    if args.requests < 1 or args.days < 1 or args.chunk < 1 or args.jobs < 1:
        die("--requests, --days, --chunk and --jobs must be positive")

    bench_dir = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(bench_dir)
    binary = args.bin or os.path.join(os.environ.get("CARGO_TARGET_DIR") or os.path.join(root, "target"),
                                      "release", "upturn")
    if not os.access(binary, os.X_OK):
        die(f"no upturn binary at {binary} (cargo build --release, or --bin)")

    if args.db:
        db_path = os.path.abspath(args.db)
        info_path = args.info or db_path + ".json"
        server_log = db_path + ".server.log"
        if os.path.exists(db_path):
            try:
                conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
                held = conn.execute("SELECT COUNT(*) FROM requests").fetchone()[0]
                conn.close()
            except sqlite3.Error:
                held = 0  # no requests table yet: an empty file
            if held and not args.force:
                die(f"{db_path} already holds {held:,} requests; --force deletes it and seeds from scratch")
        if args.force:
            for suffix in ("", "-wal", "-shm", ".json", ".server.log"):
                if os.path.exists(db_path + suffix):
                    log(f"--force: deleting {db_path + suffix}")
                    os.remove(db_path + suffix)
        os.makedirs(os.path.dirname(db_path), exist_ok=True)
        database_url = f"sqlite://{db_path}?mode=rwc"
        workdir = os.path.dirname(db_path)
    else:
        database_url = args.postgres
        name = database_url.rstrip("/").rsplit("/", 1)[-1].split("?")[0] or "postgres"
        results = os.path.join(bench_dir, "results")
        os.makedirs(results, exist_ok=True)
        info_path = args.info or os.path.join(results, f"seed-postgres-{name}.json")
        server_log = os.path.join(results, f"seed-postgres-{name}.server.log")
        workdir = results
        conn = Psql(database_url)
        try:
            held = int(conn.execute("SELECT COUNT(*) FROM requests").fetchone()[0])
        except RuntimeError:
            held = 0  # no requests table yet
        if held and not args.force:
            die(f"{name} already holds {held:,} requests; --force drops its schema public and seeds from scratch")
        if args.force:
            log(f"--force: dropping and recreating the schema public of {name}")
            conn.script("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;\n")

    total_started = time.monotonic()
    create_organisation(binary, database_url, workdir, server_log)
    org_seconds = time.monotonic() - total_started
    log(f"seeding {args.requests:,} requests over {args.days} days (seed {args.seed}, {args.jobs} process(es))")
    if args.db:
        result = seed_sqlite(db_path, args.requests, args.seed, args.days, args.chunk, args.jobs)
        size = os.path.getsize(db_path)
    else:
        result = seed_postgres(database_url, args.requests, args.seed, args.days, args.chunk, args.jobs)
        size = int(Psql(database_url).execute("SELECT pg_database_size(current_database())").fetchone()[0])
    total_seconds = time.monotonic() - total_started
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_seconds = own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime
    totals = result["totals"]
    stats = result["stats"]
    info = {
        "seeder_version": SEEDER_VERSION,
        "seeder_sha256": seeder_sha256,
        "backend": "sqlite" if args.db else "postgres",
        "requests": args.requests,
        "days": args.days,
        "seed": args.seed,
        "seeded_at": rfc3339(result["now_us"]),
        "earliest_filed_at": rfc3339(result["earliest_us"]),
        "admin_email": ADMIN_EMAIL,
        "leader_email": LEADER_EMAIL,
        "password": PASSWORD,
        "jwt_secret": JWT_SECRET,
        "rows": totals,
        "path_and_status": {f"{p}/{s}": n for (p, s), n in sorted(
            (k, v) for k, v in stats.items() if isinstance(k, tuple))},
        "with_sla_breach": stats.get("with_breach", 0),
        "reopened": stats.get("reopened", 0),
        "organisation_seconds": round(org_seconds, 1),
        "insert_seconds": round(result["insert_seconds"], 1),
        "total_seconds": round(total_seconds, 1),
        "cpu_seconds": round(cpu_seconds, 1),
        "db_bytes": size,
    }
    with open(info_path, "w") as f:
        json.dump(info, f, indent=2)
        f.write("\n")
    log(f"done in {total_seconds:.1f} s (organisation {org_seconds:.1f} s, requests {result['insert_seconds']:.1f} s; "
        f"{cpu_seconds:.0f} s of CPU, server and workers included): "
        f"{totals['requests']:,} requests, {totals['events']:,} events, {totals['follow_ups']:,} follow-ups, "
        f"{totals['request_units']:,} routings; {size / 2**20:,.0f} MiB; info in {info_path}")


if __name__ == "__main__":
    main()
