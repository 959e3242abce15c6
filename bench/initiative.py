#!/usr/bin/env python3
"""Time linking and completing an initiative over many requests (issue 5).

Against a running `upturn serve` (release build) whose bootstrap admin is given:

    python3 bench/initiative.py --url http://127.0.0.1:8080 \
        --admin-email admin@example.org --admin-password '…' [--requests 1000] [--rounds 3]

Each round builds a fresh team, files N requests from it (16 at a time), creates an
initiative for a service, then times one `POST /initiatives/{id}/requests` linking all N
and one `PATCH` to `done` (which resolves all N in one transaction). It prints each
round's client-side times and `GET /healthz` latency as the ceiling of the same run.
Standard library only.
"""
import argparse
import concurrent.futures
import time

from upturn_client import Organisation, call, healthz_median


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--admin-email", required=True)
    parser.add_argument("--admin-password", required=True)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    org = Organisation(args.url, args.admin_email, args.admin_password)
    url, run = org.url, org.run
    service = org.unit("Purchasing", "service")
    leader = org.leader()
    print(f"GET /healthz: median {healthz_median(url):.2f} ms over 200 calls")
    for r in range(args.rounds):
        front = org.member(f"front.{r}", "frontline", org.unit(f"Store {r}", "team"))
        body = lambda n: {
            "kind": "unmet_need", "category": "availability", "urgency": "high",
            "channel": "in_person", "title": f"Size 44, customer {n}",
            "description": "She left without them.", "customer_expectation": "Size 44 in store",
            "customer": {"name": "Mme Lefèvre", "contact": "+33 6 12 34 56 78", "consent_follow_up": True},
        }
        with concurrent.futures.ThreadPoolExecutor(16) as pool:
            ids = list(pool.map(lambda n: call(url, "POST", "/api/v1/requests", front, body(n))["id"],
                                range(args.requests)))
        initiative = call(url, "POST", "/api/v1/initiatives", leader,
                          {"title": f"Stock size 44 ({run} {r})", "description": "Every store",
                           "unit_id": service})["id"]
        t0 = time.perf_counter()
        linked = call(url, "POST", f"/api/v1/initiatives/{initiative}/requests", leader, {"request_ids": ids})
        link_ms = (time.perf_counter() - t0) * 1000
        assert linked["counts"]["linked"] == args.requests, linked["counts"]
        t0 = time.perf_counter()
        done = call(url, "PATCH", f"/api/v1/initiatives/{initiative}", leader,
                    {"status": "done", "public_note": "In stock everywhere"})
        done_ms = (time.perf_counter() - t0) * 1000
        assert done["status"] == "done", done
        print(f"round {r + 1}: link {args.requests} requests {link_ms:.0f} ms, "
              f"complete (resolve all {args.requests}) {done_ms:.0f} ms")


if __name__ == "__main__":
    main()
