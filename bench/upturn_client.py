"""What the Python benches share: JSON calls to Upturn's API, logins, and a bench
organisation (units and members made through the admin, named after the run so a
database an earlier run used still works). Standard library only."""
import json
import statistics
import time
import urllib.request
import uuid


def call(url, method, path, token=None, body=None, timeout=120):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url + path, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        raw = resp.read()
        return json.loads(raw) if raw else None


def login(url, email, password):
    return call(url, "POST", "/api/v1/auth/login", body={"email": email, "password": password})["access_token"]


def healthz_median(url, calls=200):
    """Median `GET /healthz` latency in ms: the ceiling quoted beside a figure."""
    times = []
    for _ in range(calls):
        t0 = time.perf_counter()
        call(url, "GET", "/healthz")
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


class Organisation:
    """Units and members for one bench run, made by the bootstrap admin."""

    def __init__(self, url, admin_email, admin_password):
        self.url = url.rstrip("/")
        self.run = uuid.uuid4().hex[:6]
        self.password = "bench-password-" + uuid.uuid4().hex[:8]
        self.admin = login(self.url, admin_email, admin_password)

    def unit(self, name, kind):
        return call(self.url, "POST", "/api/v1/units", self.admin,
                    {"name": f"{name} {self.run}", "kind": kind})["id"]

    def member(self, name, role, unit_id):
        """Creates a member and returns their access token."""
        email = f"{name}.{self.run}@bench.upturn"
        call(self.url, "POST", "/api/v1/members", self.admin,
             {"name": email, "email": email, "role": role, "unit_id": unit_id, "password": self.password})
        return login(self.url, email, self.password)

    def leader(self):
        """A leader's token. The organisation has one leadership unit: reuse it when an
        earlier run made it."""
        units = call(self.url, "GET", "/api/v1/units?limit=200", self.admin)["items"]
        leadership = next((u["id"] for u in units if u["kind"] == "leadership"), None) \
            or self.unit("Leadership", "leadership")
        return self.member("leader", "leader", leadership)
