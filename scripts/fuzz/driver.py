#!/usr/bin/env python3
"""The fuzz driver behind scripts/fuzz.sh; runs inside scripts/test-postgres.sh run.

Starts the server on a free loopback port against the throwaway cluster, creates an
administrator and a token with the CLI, seeds two entities through the API (officers,
employees, absences, trajectories on the `active-presence` template, contact moments,
actions, deadlines) and runs schemathesis once per role with the seeded ids in the
environment, where scripts/fuzz/schemathesis.toml picks them up. The server is always
stopped. Standard library only.

Environment (set by scripts/fuzz.sh): VEERKRACHT_BIN, FUZZ_ROOT, FUZZ_OUT, FUZZ_ST, and
VEERKRACHT_TEST_DATABASE_URL from test-postgres.sh. Optional: FUZZ_MAX_EXAMPLES,
FUZZ_SEED, FUZZ_ROLES.
"""

from __future__ import annotations

import ctypes
import datetime as dt
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid

ROOT = os.environ["FUZZ_ROOT"]
OUT = os.environ["FUZZ_OUT"]
ST = os.environ["FUZZ_ST"]
BIN = os.environ["VEERKRACHT_BIN"]
DATABASE_URL = os.environ["VEERKRACHT_TEST_DATABASE_URL"]
CONFIG = os.path.join(ROOT, "scripts", "fuzz", "schemathesis.toml")
MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "40"))
SEED = int(os.environ.get("FUZZ_SEED", "20261"))
ROLES = os.environ.get("FUZZ_ROLES", "officer admin").split()
TEMPLATE = "active-presence"


def say(message: str) -> None:
    print(f"fuzz: {message}", flush=True)


class SeedError(RuntimeError):
    pass


# ------------------------------------------------------------------------------ server


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def die_with_parent() -> None:
    """In the child: get SIGTERM when the driver dies, however it dies (Linux)."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def server_env(port: int) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        VEERKRACHT_DATABASE_URL=DATABASE_URL,
        VEERKRACHT_HTTP_HOST="127.0.0.1",
        VEERKRACHT_HTTP_PORT=str(port),
        VEERKRACHT_SQL_DIR=os.path.join(ROOT, "sql"),
        VEERKRACHT_LOG_LEVEL="info",
    )
    return env


def start_server(port: int, log) -> subprocess.Popen:
    return subprocess.Popen(
        [BIN, "serve"],
        cwd=ROOT,
        env=server_env(port),
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        preexec_fn=die_with_parent,
    )


def wait_ready(base: str, server: subprocess.Popen, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SeedError(f"the server exited with status {server.returncode} before it was ready")
        try:
            with urllib.request.urlopen(base + "/health/ready", timeout=2) as r:
                if r.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    raise SeedError(f"the server was not ready within {timeout:.0f} s")


def stop_server(server: subprocess.Popen | None) -> None:
    if server is None or server.poll() is not None:
        return
    server.terminate()
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def cli(port: int, *args: str) -> str:
    done = subprocess.run(
        [BIN, *args], cwd=ROOT, env=server_env(port), capture_output=True, text=True, timeout=60
    )
    if done.returncode != 0:
        raise SeedError(f"veerkracht {args[0]} {args[1]} failed ({done.returncode}): {done.stderr.strip()[-500:]}")
    return done.stdout


# ------------------------------------------------------------------------------- API


class Api:
    def __init__(self, base: str, token: str):
        self.base = base
        self.token = token

    def call(self, method: str, path: str, body=None, *, headers=None, expect=(200, 201)):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method)
        req.add_header("Authorization", f"Bearer {self.token}")
        req.add_header("Accept", "application/json")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        if method == "POST":
            req.add_header("Idempotency-Key", str(uuid.uuid4()))
        for name, value in (headers or {}).items():
            req.add_header(name, value)
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                status, hdrs, raw = r.status, r.headers, r.read()
        except urllib.error.HTTPError as e:
            status, hdrs, raw = e.code, e.headers, e.read()
        if status not in expect:
            raise SeedError(f"{method} {path} answered {status}: {raw[:600].decode(errors='replace')}")
        return (json.loads(raw) if raw else None), hdrs

    def post(self, path, body, **kw):
        return self.call("POST", path, body, **kw)[0]

    def get(self, path):
        return self.call("GET", path)[0]

    def etag(self, path) -> str:
        return self.call("GET", path)[1]["ETag"]


def seed(admin: Api, base: str) -> dict[str, str]:
    """Two entities with their people and cases; returns the ids schemathesis gets."""
    today = dt.date.today()

    def day(offset: int) -> str:
        return (today + dt.timedelta(days=offset)).isoformat()

    def at(offset: int, time_of_day: str = "09:30:00") -> str:
        return f"{day(offset)}T{time_of_day}Z"

    ids: dict[str, str] = {}
    entities = {
        "A": admin.post("/v1/entities", {"code": "DEP-FIN", "name": "Department of Finance"}),
        "B": admin.post("/v1/entities", {"code": "DEP-HEA", "name": "Department of Health"}),
    }
    child = admin.post("/v1/entities", {"code": "AG-TAX", "name": "Tax Agency", "parentId": entities["A"]["id"]})
    admin.post("/v1/entities", {"code": "AG-HEA-LAB", "name": "Health Laboratory", "parentId": entities["B"]["id"]})

    def user(email, name, roles, entity_ids):
        return admin.post(
            "/v1/users", {"email": email, "displayName": name, "roles": roles, "entityIds": entity_ids}
        )

    def token(user_id, name):
        return admin.post(f"/v1/users/{user_id}/tokens", {"name": name, "expiresIn": 1})

    people = {}
    for key, (email, name, other, other_name, physician) in {
        "A": ("olivia@fin.example.org", "Olivia Officer", "otto@fin.example.org", "Otto Officer",
              "pieter@fin.example.org"),
        "B": ("bram@health.example.org", "Bram Officer", "bea@health.example.org", "Bea Officer",
              "petra@health.example.org"),
    }.items():
        eid = entities[key]["id"]
        officer = user(email, name, ["officer"], [eid])
        second = user(other, other_name, ["officer"], [eid])
        doctor = user(physician, f"Dr {physician.split('@')[0].title()}", ["physician"], [eid])
        user(f"hr@{email.split('@')[1]}", "HR Partner", ["hr"], [eid])
        people[key] = {
            "officer": officer,
            "second": second,
            "physician": doctor,
            "token": token(officer["id"], "fuzz seed")["secret"],
        }
    user("audrey@example.org", "Audrey Auditor", ["auditor"], [])
    # The token the admin run may revoke (never the one it uses).
    revocable = token(people["B"]["officer"]["id"], "revocable by the fuzzer")

    for key, numbers in {"A": ("P-1001", "P-1002", "P-1003"), "B": ("P-2001", "P-2002", "P-2003")}.items():
        eid = entities[key]["id"]
        p = people[key]
        api = Api(base, p["token"])
        mail = "fin" if key == "A" else "health"
        manager = api.post("/v1/employees", {
            "personnelNumber": numbers[2], "givenName": "Els", "familyName": f"Claes-{key}",
            "entityId": eid, "weeklyHours": 38, "jobTitle": "Head of unit", "grade": "A3",
            "workEmail": f"els.claes@{mail}.example.org",
        })
        first = api.post("/v1/employees", {
            "personnelNumber": numbers[0], "givenName": "Mira", "familyName": f"Peeters-{key}",
            "entityId": eid, "weeklyHours": 38, "jobTitle": "Tax inspector", "grade": "A2",
            "workEmail": f"mira.peeters@{mail}.example.org", "managerId": manager["id"],
        })
        second = api.post("/v1/employees", {
            "personnelNumber": numbers[1], "givenName": "Jan", "familyName": f"Janssens-{key}",
            "entityId": child["id"] if key == "A" else eid, "weeklyHours": 30.4,
            "managerId": manager["id"],
        })
        # The manager had a short absence long ago: no trajectory, so one can be opened.
        past = api.post(f"/v1/employees/{manager['id']}/absences", {
            "kind": "otherLongAbsence", "startsOn": day(-200), "endedOn": day(-170),
        })
        absence1 = api.post(f"/v1/employees/{first['id']}/absences", {
            "kind": "illness", "startsOn": day(-45), "workCapacityPercent": 0,
        })
        absence2 = api.post(f"/v1/employees/{second['id']}/absences", {
            "kind": "workAccident", "startsOn": day(-12), "expectedEndOn": day(30),
        })
        api.post(f"/v1/absences/{absence1['id']}/workCapacityChanges", {"effectiveFrom": day(-15), "percent": 50})

        case1 = api.post("/v1/trajectories", {
            "employeeId": first["id"], "absenceId": absence1["id"], "goal": "returnOwnJob",
            "templateId": TEMPLATE, "physicianId": p["physician"]["id"], "targetReturnOn": day(60),
            "consent": {"visibleToHrForMobility": False, "contactByExperienceExpert": True},
        })
        case2 = api.post("/v1/trajectories", {
            "employeeId": second["id"], "absenceId": absence2["id"], "goal": "adaptedOwnJob",
            "templateId": TEMPLATE,
        })
        cases = f"/v1/trajectories/{case1['id']}"
        contact = api.post(f"{cases}/contactMoments", {
            "occurredAt": at(-10), "channel": "phone", "initiative": "employer", "madeBy": "officer",
            "summary": "Talked about how the absence is going and a gradual return", "wellbeing": 3,
        })
        api.post(f"{cases}/contactMoments", {
            "occurredAt": at(-3, "14:00:00"), "channel": "video", "initiative": "employee",
            "madeBy": "officer", "summary": "Agreed to look at adapted hours", "nextContactOn": day(11),
        })
        action = api.post(f"{cases}/actions", {
            "title": "Discuss adapted hours with the manager", "kind": "conversation", "owner": "user",
            "ownerUserId": p["officer"]["id"], "dueOn": day(7),
        })
        api.post(f"{cases}/actions", {
            "title": "Workplace visit", "kind": "workplaceAdaptation", "owner": "manager", "dueOn": day(20),
            "note": "Check the desk and the commute",
        })
        api.call("PUT", f"{cases}/contactPreferences", {"channel": "phone", "contactPerson": "officer", "everyDays": 14})
        api.post(f"{cases}/statusChanges", {"status": "planning"}, headers={"If-Match": api.etag(cases)})
        api.post(f"/v1/trajectories/{case2['id']}/triggerEvents", {"event": "reviewDone", "occurredOn": day(-1)})
        deadlines = api.get(f"{cases}/deadlines")["items"]
        if not deadlines:
            raise SeedError(f"trajectory {case1['id']} on {TEMPLATE} has no deadlines")
        if key == "A":
            ids.update(
                FUZZ_ENTITY_ID=eid,
                FUZZ_CHILD_ENTITY_ID=child["id"],
                FUZZ_OTHER_ENTITY_ID=entities["B"]["id"],
                FUZZ_USER_ID=p["officer"]["id"],
                FUZZ_OFFICER_ID=p["officer"]["id"],
                FUZZ_SECOND_OFFICER_ID=p["second"]["id"],
                FUZZ_PHYSICIAN_ID=p["physician"]["id"],
                FUZZ_EMPLOYEE_ID=first["id"],
                FUZZ_MANAGER_ID=manager["id"],
                FUZZ_MANAGER_PERSONNEL_NUMBER=manager["personnelNumber"],
                FUZZ_FREE_EMPLOYEE_ID=manager["id"],
                FUZZ_FREE_ABSENCE_ID=past["id"],
                FUZZ_ABSENCE_ID=absence1["id"],
                FUZZ_CAPACITY_FROM=day(-15),
                FUZZ_TRAJECTORY_ID=case1["id"],
                FUZZ_SECOND_TRAJECTORY_ID=case2["id"],
                FUZZ_CONTACT_MOMENT_ID=contact["id"],
                FUZZ_ACTION_ID=action["id"],
                FUZZ_DEADLINE_ID=deadlines[0]["id"],
                FUZZ_TEMPLATE_ID=TEMPLATE,
                FUZZ_TRIGGER_EVENT="reviewDone",
                _OFFICER_TOKEN=p["token"],
            )
    ids.update(
        FUZZ_REVOCABLE_USER_ID=people["B"]["officer"]["id"],
        FUZZ_REVOCABLE_TOKEN_ID=revocable["id"],
    )
    ids["_SECRETS"] = " ".join([people["A"]["token"], people["B"]["token"], revocable["secret"]])
    return ids


# -------------------------------------------------------------------------- schemathesis


SUMMARY_START = re.compile(r"^=+ SUMMARY =+$")
SUMMARY_KEEP = re.compile(r"^\s*(❌|⚠️|Selected:|Tested:|\d+ generated|=+ .* =+$)")
OPERATION = re.compile(r"^_+ (.+?) _+$")
CHECK = re.compile(r"^- (ST\d+) (.*)$")
STATUS = re.compile(r"^\[(\d{3})\] ")


def failures(lines: list[str]) -> list[str]:
    """The failed checks by code and statuses seen, with the operations (counted when many)."""
    found: dict[tuple[str, str], tuple[str, set[str]]] = {}
    operation, pending = None, []
    for line in lines:
        if m := OPERATION.match(line):
            operation, pending = m.group(1), []
        elif operation and (m := CHECK.match(line)):
            key = (m.group(1), operation)
            found.setdefault(key, (m.group(2), set()))
            pending.append(key)
        elif operation and (m := STATUS.match(line)):
            for key in pending:
                found[key][1].add(m.group(1))
            pending = []
        elif line.startswith("=") and "FAILURES" not in line:
            operation = None
    groups: dict[tuple[str, str, str], list[str]] = {}
    for (code, op), (title, statuses) in sorted(found.items()):
        groups.setdefault((code, title, ", ".join(sorted(statuses)) or "-"), []).append(op)
    lines_out = []
    for (code, title, statuses), ops in groups.items():
        if len(ops) > 8:
            lines_out.append(f"{code} {title} [{statuses}]: {len(ops)} operations ({'; '.join(ops[:3])}; ...)")
        else:
            lines_out += [f"{code} {title} [{statuses}]: {op}" for op in ops]
    return lines_out


def run_schemathesis(role: str, token: str, base: str, ids: dict[str, str]) -> tuple[int, float]:
    log_path = os.path.join(OUT, f"schemathesis-{role}.log")
    env = dict(os.environ)
    env.update({k: v for k, v in ids.items() if not k.startswith("_")})
    env.update(FUZZ_TOKEN=token, FUZZ_BASE_URL=base, FUZZ_ROLE=role, PYTHONUNBUFFERED="1",
               # Hypothesis keeps its files here, not in the checkout.
               HYPOTHESIS_STORAGE_DIRECTORY=os.path.join(OUT, "hypothesis"))
    cmd = [
        ST, "--config-file", CONFIG, "run", f"{base}/openapi.yaml",
        "--checks", "all",
        "--seed", str(SEED),
        "--max-examples", str(MAX_EXAMPLES),
        "--workers", "1",
        "--no-color",
        "--report", "junit",
        "--report-junit-path", os.path.join(OUT, f"junit-{role}.xml"),
    ]
    started = time.monotonic()
    with open(log_path, "w") as log:
        done = subprocess.run(cmd, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
    elapsed = time.monotonic() - started
    with open(log_path, errors="replace") as f:
        lines = f.read().splitlines()
    summary, in_summary = [], False
    for line in lines:
        in_summary = in_summary or bool(SUMMARY_START.match(line))
        if in_summary and SUMMARY_KEEP.match(line) and not SUMMARY_START.match(line):
            summary.append(line.strip())
    say(f"{role}: schemathesis exited {done.returncode} after {elapsed:.0f} s (full output: {os.path.relpath(log_path, ROOT)})")
    for line in summary:
        print(f"  {line}")
    for line in failures(lines):
        print(f"  {line}")
    return done.returncode, elapsed


# The shape of a bearer value (AccessToken.bearerValue): vk_, a 16-character prefix, _, the secret.
TOKEN_SHAPE = re.compile(r"vk_[0-9A-Za-z]{16}_[A-Za-z0-9_-]{43}")


def leaked_secrets(server_log: str, secrets: list[str]) -> int:
    """Lines of the server log that carry a bearer secret (issue 15, defect 1): the seeded
    ones, and any token-shaped value (tokens the fuzzer created)."""
    count = 0
    with open(server_log, errors="replace") as f:
        for line in f:
            if any(s and s in line for s in secrets) or TOKEN_SHAPE.search(line):
                count += 1
    return count


# ------------------------------------------------------------------------------ main


def main() -> int:
    def on_term(signum, _frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, on_term)
    unknown = [role for role in ROLES if role not in ("officer", "admin")]
    if unknown:
        say(f"error: FUZZ_ROLES takes officer and admin, not {' '.join(unknown)}")
        return 2
    os.makedirs(OUT, exist_ok=True)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server_log = os.path.join(OUT, "server.log")
    server = None
    status = 0
    started = time.monotonic()
    secrets: list[str] = []
    try:
        with open(server_log, "w") as log:
            say(f"server {os.path.relpath(BIN, ROOT)} on {base} (log: {os.path.relpath(server_log, ROOT)})")
            server = start_server(port, log)
            wait_ready(base, server)
            cli(port, "users", "create", "--email", "fuzz-admin@example.org", "--name", "Fuzz Admin", "--role", "admin")
            admin_token = cli(port, "tokens", "create", "--user", "fuzz-admin@example.org", "--name", "fuzz",
                              "--expires-in", "1d").strip().splitlines()[-1].strip()
            secrets.append(admin_token)
            ids = seed(Api(base, admin_token), base)
            secrets += ids["_SECRETS"].split()
            say(f"seeded 2 entities (officer {ids['FUZZ_OFFICER_ID']}, trajectory {ids['FUZZ_TRAJECTORY_ID']}) "
                f"in {time.monotonic() - started:.0f} s; max-examples {MAX_EXAMPLES}, seed {SEED}")
            tokens = {"officer": ids["_OFFICER_TOKEN"], "admin": admin_token}
            for role in ROLES:
                if server.poll() is not None:
                    say(f"error: the server died (status {server.returncode}); see {server_log}")
                    status = 1
                    break
                code, _ = run_schemathesis(role, tokens[role], base, ids)
                if code != 0:
                    status = 1
    except SeedError as e:
        say(f"error: {e}")
        status = 1
    finally:
        stop_server(server)
    if secrets and os.path.exists(server_log):
        leaks = leaked_secrets(server_log, secrets)
        if leaks:
            say(f"server log: {leaks} lines carry a bearer token secret (must be none)")
            status = 1
    say(f"{'FAILED' if status else 'passed'} in {time.monotonic() - started:.0f} s")
    return status


if __name__ == "__main__":
    sys.exit(main())
