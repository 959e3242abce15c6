#!/usr/bin/env python3
"""Time from a filing's answer to its webhook delivery (issue 5).

Against a running `upturn serve` (release build) started with
`UPTURN_WEBHOOK_ALLOW_HTTP_LOOPBACK=true` and whose bootstrap admin is given:

    python3 bench/webhook_latency.py --url http://127.0.0.1:8080 \
        --admin-email admin@example.org --admin-password '…' [--requests 200]

It starts a receiver on 127.0.0.1 (standard library HTTP server), registers a webhook
for `filed` events, files N requests one after another, and for each one measures the
time from the `201` reaching the client to the `filed` event reaching the receiver. It
prints the median, p90 and max beside `GET /healthz` latency, the ceiling of the same
run, then deletes the webhook. Standard library only.
"""
import argparse
import http.server
import json
import statistics
import threading
import time

from upturn_client import Organisation, call, healthz_median


def receiver():
    """A receiver that notes when each request's `filed` event arrived."""
    arrived = {}
    lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            with lock:
                arrived.setdefault(body["request_id"], time.perf_counter())
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, arrived, lock


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--admin-email", required=True)
    parser.add_argument("--admin-password", required=True)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    org = Organisation(args.url, args.admin_email, args.admin_password)
    url = org.url
    leader = org.leader()
    front = org.member("front", "frontline", org.unit("Store", "team"))
    server, arrived, lock = receiver()
    hook = call(url, "POST", "/api/v1/webhooks", leader,
                {"url": f"http://127.0.0.1:{server.server_port}/hook", "events": ["filed"]})["id"]
    healthz = healthz_median(url)
    latencies = []
    try:
        for n in range(args.requests):
            filed = call(url, "POST", "/api/v1/requests", front, timeout=60, body={
                "kind": "need", "category": "availability", "channel": "in_person",
                "title": f"Size 44, customer {n}", "customer_expectation": "Size 44 in store"})
            answered = time.perf_counter()
            deadline = answered + 30
            while True:
                with lock:
                    at = arrived.get(filed["id"])
                if at is not None or time.perf_counter() > deadline:
                    break
                time.sleep(0.0005)
            if at is None:
                raise SystemExit(f"request {filed['id']} was not delivered within 30 s")
            latencies.append(max(at - answered, 0) * 1000)
    finally:
        call(url, "DELETE", f"/api/v1/webhooks/{hook}", leader)
        server.shutdown()
    latencies.sort()
    p90 = latencies[int(len(latencies) * 0.9) - 1]
    print(f"GET /healthz: median {healthz:.2f} ms over 200 calls")
    print(f"filing answered -> `filed` delivered, {len(latencies)} requests: "
          f"median {statistics.median(latencies):.1f} ms, p90 {p90:.1f} ms, max {latencies[-1]:.1f} ms")


if __name__ == "__main__":
    main()
