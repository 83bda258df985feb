#!/usr/bin/env python3
"""Fault test driver (issue 15, "Faults"): creates under faults, then checks exactly-once.

Run by scripts/fault-test.sh, which starts the throwaway PostgreSQL and the server and hands
over the base URL, the cluster folder, the admin token and the server's log files.

What it does:
  setup    as the admin (token from the CLI): an entity; per client an officer and a token
           (API). As each officer: a home employee with an open absence and a trajectory
           (for contact moments) and an "absence employee" (for non-overlapping absences).
  load     N client threads create employees, absences and contact moments, each create
           with its own Idempotency-Key; a failed, timed-out or 5xx attempt is retried
           with the same key and body until it is acknowledged (2xx). Every few
           acknowledged creates are sent once more (a retry of an acknowledged create) and
           must replay the same resource. Meanwhile a fixed schedule of faults runs:
           pg_terminate_backend on the server's connections (all of them, bursts, and
           "hunts" that for 3 s kill every busy one, to land inside transactions and around
           COMMIT), one fast restart, one immediate (crash) stop followed by a start.
           synchronous_commit is turned on first (test-postgres.sh turns it off): else the
           crash loses commits PostgreSQL had acknowledged (see Cluster.durable_commits).
  verify   every acknowledged create exists exactly once (in the database, by its marker,
           and through the API list of its collection) with the acknowledged id; an
           unacknowledged create exists at most once; an effect has its stored
           idempotent answer and the other way round; no answer was a 500; every 503 had
           Retry-After (and not more than --max-retry-after seconds); the server still
           runs and is ready; every server stdout line is JSON; no log line holds a token.

Only the Python standard library; psql and pg_ctl for the database side.
Exit status: 0 when every check passed, 1 on any violation, 2 when setup failed.
"""

import argparse
import collections
import datetime
import http.client
import json
import os
import random
import re
import shutil
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid

EXCERPT = 300


def log(message):
    stamp = time.strftime("%H:%M:%S")
    print(f"fault [{stamp}] {message}", file=sys.stderr, flush=True)


def excerpt(data, limit=EXCERPT):
    if isinstance(data, bytes):
        data = data.decode("utf-8", "replace")
    data = data.replace("\n", "\\n")
    return data if len(data) <= limit else data[:limit] + "…"


class SetupError(Exception):
    pass


# MARK: HTTP


class Answer:
    __slots__ = ("status", "headers", "body", "error", "elapsed")

    def __init__(self, status=None, headers=None, body=b"", error=None, elapsed=0.0):
        self.status = status
        self.headers = headers or {}
        self.body = body
        self.error = error
        self.elapsed = elapsed

    def json(self):
        try:
            return json.loads(self.body)
        except ValueError:
            return None


class Recorder:
    """Every answer the driver got, whatever the phase: the 500 and 503 checks cover all."""

    def __init__(self, max_retry_after):
        self.lock = threading.Lock()
        self.max_retry_after = max_retry_after
        self.requests = 0
        self.statuses = collections.Counter()
        self.errors = collections.Counter()
        self.retry_after = collections.Counter()
        self.details_503 = collections.Counter()
        self.examples = collections.defaultdict(list)  # violation name -> examples
        self.counts = collections.Counter()  # violation name -> count

    def violation(self, name, example, keep=3):
        with self.lock:
            self.counts[name] += 1
            if len(self.examples[name]) < keep:
                self.examples[name].append(example)

    def record(self, phase, method, path, key, answer):
        request = f"{method} {path}" + (f" (Idempotency-Key {key})" if key else "")
        with self.lock:
            self.requests += 1
            if answer.error is not None:
                self.errors[answer.error] += 1
                return
            self.statuses[answer.status] += 1
        status = answer.status
        trace = answer.headers.get("belgov-trace-id")
        example = {"phase": phase, "request": request, "status": status, "traceId": trace,
                   "body": excerpt(answer.body)}
        if status >= 500 and status != 503:
            self.violation("500", example)
        if status == 503:
            value = answer.headers.get("retry-after")
            try:
                detail = json.loads(answer.body).get("detail")
            except (ValueError, AttributeError):
                detail = None
            with self.lock:
                self.retry_after[value if value is not None else "(none)"] += 1
                self.details_503[f"Retry-After {value}: {detail}"] += 1
            if value is None:
                self.violation("503 without Retry-After", example)
            else:
                try:
                    seconds = int(value)
                except ValueError:
                    seconds = None
                if seconds is None or seconds < 0:
                    self.violation("503 with an unreadable Retry-After", dict(example, retryAfter=value))
                elif seconds > self.max_retry_after:
                    self.violation(f"503 with Retry-After > {self.max_retry_after}", dict(example, retryAfter=value))


class Client:
    """One keep-alive connection; any transport failure closes it and the next call reconnects."""

    def __init__(self, base, token, recorder, timeout):
        url = urllib.parse.urlsplit(base)
        self.host, self.port = url.hostname, url.port
        self.token = token
        self.recorder = recorder
        self.timeout = timeout
        self.connection = None

    def close(self):
        if self.connection is not None:
            try:
                self.connection.close()
            except OSError:
                pass
            self.connection = None

    def call(self, method, path, body=None, key=None, phase="load"):
        headers = {"Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        payload = None
        if body is not None:
            payload = body if isinstance(body, bytes) else json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if key:
            headers["Idempotency-Key"] = key
        started = time.monotonic()
        try:
            if self.connection is None:
                self.connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            self.connection.request(method, path, body=payload, headers=headers)
            response = self.connection.getresponse()
            data = response.read()
            answer = Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, data,
                            elapsed=time.monotonic() - started)
            if response.will_close:
                self.close()
        except TimeoutError:
            self.close()
            answer = Answer(error="timeout", elapsed=time.monotonic() - started)
        except (OSError, http.client.HTTPException) as error:
            self.close()
            answer = Answer(error=type(error).__name__, elapsed=time.monotonic() - started)
        self.recorder.record(phase, method, path, key, answer)
        return answer

    def setup_call(self, method, path, body=None, expect=(200, 201), key=True):
        """A setup request: retried on 503 and transport errors for 30 s, else it must succeed."""
        idempotency_key = f"setup-{uuid.uuid4()}" if (key and method == "POST") else None
        deadline = time.monotonic() + 30
        while True:
            answer = self.call(method, path, body, idempotency_key, phase="setup")
            if answer.status in expect:
                return answer
            if (answer.error or answer.status == 503) and time.monotonic() < deadline:
                time.sleep(0.5)
                continue
            raise SetupError(f"{method} {path}: {answer.status or answer.error} {excerpt(answer.body)}")

    def collect(self, path, phase="verify"):
        """Every item of a collection, following `next`; None when a page could not be read."""
        items = []
        deadline = time.monotonic() + 60
        while path:
            answer = self.call("GET", path, phase=phase)
            if answer.status == 200:
                page = answer.json()
                items.extend(page.get("items", []))
                following = page.get("next")
                if following:
                    url = urllib.parse.urlsplit(following)
                    path = url.path + ("?" + url.query if url.query else "")
                else:
                    path = None
            elif (answer.error or answer.status == 503) and time.monotonic() < deadline:
                time.sleep(0.5)
            else:
                return None
        return items


# MARK: PostgreSQL


def find_bindir():
    if shutil.which("pg_config"):
        try:
            bindir = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=True).stdout.strip()
            if os.access(os.path.join(bindir, "pg_ctl"), os.X_OK):
                return bindir
        except (OSError, subprocess.CalledProcessError):
            pass
    candidates = []
    for name in os.listdir("/usr/lib/postgresql") if os.path.isdir("/usr/lib/postgresql") else []:
        if name.isdigit() and os.access(f"/usr/lib/postgresql/{name}/bin/pg_ctl", os.X_OK):
            candidates.append(int(name))
    if not candidates:
        raise SetupError("pg_ctl not found")
    return f"/usr/lib/postgresql/{max(candidates)}/bin"


class Cluster:
    def __init__(self, directory, script, application_name):
        self.directory = directory
        self.script = script
        self.application_name = application_name
        self.bindir = find_bindir()

    def psql(self, sql, timeout=60):
        result = subprocess.run(
            ["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", self.directory, "-p", "5432",
             "-U", "postgres", "-d", "postgres", "-c", sql],
            capture_output=True, text=True, timeout=timeout)
        if result.returncode != 0:
            raise RuntimeError(f"psql: {result.stderr.strip()}")
        return result.stdout.strip()

    def json_query(self, sql):
        return json.loads(self.psql(f"SELECT coalesce(json_agg(q), '[]'::json) FROM ({sql}) q") or "[]")

    def durable_commits(self):
        """test-postgres.sh sets synchronous_commit = off (speed): PostgreSQL then acknowledges a
        COMMIT before its WAL is written, and an immediate stop loses the last acknowledged
        transactions, which would be a lost write the server cannot help. fsync = off stays:
        a crashed postmaster leaves the written WAL in the OS cache. Stored in
        postgresql.auto.conf, so the restarts keep it."""
        self.psql("ALTER SYSTEM SET synchronous_commit = on")
        self.psql("SELECT pg_reload_conf()")
        deadline = time.monotonic() + 10
        while self.psql("SHOW synchronous_commit") != "on":
            if time.monotonic() > deadline:
                raise RuntimeError("synchronous_commit did not become on")
            time.sleep(0.1)

    def as_postgres(self, command):
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--"] + command
        return command

    def terminate(self):
        """pg_terminate_backend on every connection of the server; how many."""
        name = self.application_name.replace("'", "''")
        return int(self.psql(
            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity "
            f"WHERE application_name = '{name}' AND pid <> pg_backend_pid()", timeout=20) or 0)

    def hunt(self, seconds, interval=0.02):
        """From one session, every `interval` for `seconds`: terminate each server backend that is
        not idle (running a statement or inside a transaction), so that terminations land in
        the middle of transactions and around COMMIT, not only on idle pooled connections."""
        name = self.application_name.replace("'", "''")
        rounds = max(1, int(seconds / interval))
        return int(self.psql(f"""
            CREATE TEMPORARY TABLE fault_hits (n int);
            DO $$
            DECLARE hits int;
            BEGIN
                FOR i IN 1..{rounds} LOOP
                    PERFORM pg_stat_clear_snapshot();
                    SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) INTO hits FROM pg_stat_activity
                    WHERE application_name = '{name}' AND pid <> pg_backend_pid() AND state IS DISTINCT FROM 'idle';
                    INSERT INTO fault_hits VALUES (hits);
                    PERFORM pg_sleep({interval});
                END LOOP;
            END $$;
            SELECT coalesce(sum(n), 0) FROM fault_hits""", timeout=seconds + 30) or 0)

    def run_script(self, action):
        result = subprocess.run([self.script, action, self.directory], capture_output=True, text=True, timeout=120,
                                stdin=subprocess.DEVNULL)
        if result.returncode != 0:
            raise RuntimeError(f"test-postgres.sh {action}: {result.stderr.strip()}")

    def stop_immediate(self):
        # test-postgres.sh stop is a fast shutdown; a crash is pg_ctl's immediate mode.
        result = subprocess.run(
            self.as_postgres([f"{self.bindir}/pg_ctl", "stop", "-D", f"{self.directory}/data", "-m", "immediate", "-w"]),
            capture_output=True, text=True, timeout=60, cwd="/", stdin=subprocess.DEVNULL)
        if result.returncode != 0:
            raise RuntimeError(f"pg_ctl stop -m immediate: {result.stderr.strip()}")


# MARK: The load


class Write:
    __slots__ = ("wid", "client", "kind", "path", "body", "marker", "key", "attempts", "acked", "acked_id",
                 "acked_location", "saw_500", "outcome", "replay", "started")

    def __init__(self, wid, client, kind, path, body, marker, run):
        self.wid = wid
        self.client = client
        self.kind = kind
        self.path = path
        self.body = json.dumps(body).encode()
        self.marker = marker
        self.key = f"ft{run}-{wid}-{uuid.uuid4()}"
        self.attempts = []  # (seconds since the load began, status or error, retry-after)
        self.acked = None  # the acknowledging status
        self.acked_id = None
        self.acked_location = None
        self.saw_500 = False
        self.outcome = "pending"  # acked, rejected (non-retryable status), unresolved (gave up)
        self.replay = None  # None, "ok" or a description of what went wrong
        self.started = time.monotonic()


class Load:
    def __init__(self, args, recorder, clients, run):
        self.args = args
        self.recorder = recorder
        self.clients = clients  # list of dicts: client, home trajectory, absence employee, entity
        self.run = run
        self.writes = []
        self.lock = threading.Lock()
        self.stop_new = threading.Event()
        self.hard_deadline = None
        self.events = []  # (t, fault, detail)
        self.t0 = None

    def make_write(self, index, sequence):
        spec = self.clients[index]
        kind = ("employee", "absence", "contactMoment")[(sequence + index) % 3]
        wid = f"c{index}w{sequence}"
        if kind == "employee":
            number = f"FT{self.run}-{index}-{sequence}"
            body = {"personnelNumber": number, "givenName": f"Client{index}", "familyName": f"Write{sequence}",
                    "entityId": spec["entity"], "weeklyHours": 38}
            return Write(wid, index, kind, "/v1/employees", body, number, self.run)
        if kind == "absence":
            # Each absence of the client's absence employee is one day of its own: never overlapping.
            day = datetime.date(1990, 1, 1) + datetime.timedelta(days=2 * sequence)
            body = {"kind": "illness", "startsOn": day.isoformat(), "endedOn": day.isoformat()}
            marker = f"{spec['absenceEmployee']}/{day.isoformat()}"
            return Write(wid, index, kind, f"/v1/employees/{spec['absenceEmployee']}/absences", body, marker, self.run)
        summary = f"Fault test {self.run} {wid}"
        occurred = (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=60)).replace(microsecond=0)
        body = {"occurredAt": occurred.strftime("%Y-%m-%dT%H:%M:%SZ"), "channel": "phone", "initiative": "employer",
                "madeBy": "officer", "summary": summary}
        return Write(wid, index, kind, f"/v1/trajectories/{spec['trajectory']}/contactMoments", body, summary, self.run)

    def send_until_answered(self, client, write, replay=False):
        """POST with the write's key and body until a definitive answer; the answer or None."""
        give_up = min(time.monotonic() + self.args.write_timeout, self.hard_deadline)
        while True:
            answer = client.call("POST", write.path, write.body, write.key)
            retry_after = answer.headers.get("retry-after")
            if not replay:
                write.attempts.append((round(time.monotonic() - self.t0, 2), answer.status or answer.error, retry_after))
            if answer.status is not None and 200 <= answer.status < 300:
                return answer
            if answer.status is not None and answer.status >= 500 and answer.status != 503:
                # Never a valid answer; retrying with the same key tells whether it committed.
                write.saw_500 = True
                wait = 0.5
            elif answer.status in (503, 429):
                try:
                    wait = float(retry_after)
                except (TypeError, ValueError):
                    wait = 1.0
                wait = min(max(wait, 0.1), self.args.max_wait)
            elif answer.error is not None:
                wait = random.uniform(0.2, 0.6)
            else:
                return answer  # a 4xx: not retryable
            if time.monotonic() + wait > give_up:
                return None
            time.sleep(wait)

    def execute(self, client, write):
        answer = self.send_until_answered(client, write)
        if answer is None:
            write.outcome = "unresolved"
            return
        if 200 <= answer.status < 300:
            body = answer.json() or {}
            write.acked = answer.status
            write.acked_id = body.get("id")
            write.acked_location = answer.headers.get("location")
            write.outcome = "acked"
            if answer.status != 201 or not write.acked_id or not write.acked_location:
                self.recorder.violation("acknowledgement not a 201 with id and Location", {
                    "request": f"POST {write.path} (Idempotency-Key {write.key})", "status": answer.status,
                    "location": write.acked_location, "body": excerpt(answer.body)})
            return
        write.outcome = "rejected"
        self.recorder.violation(f"unexpected status {answer.status}", {
            "request": f"POST {write.path} (Idempotency-Key {write.key})", "status": answer.status,
            "retry": len(write.attempts) > 1, "traceId": answer.headers.get("belgov-trace-id"),
            "body": excerpt(answer.body), "attempts": write.attempts[-5:]})

    def check_replay(self, client, write):
        answer = self.send_until_answered(client, write, replay=True)
        if answer is None:
            write.replay = "no answer"
            return
        body = answer.json() or {}
        if answer.status != write.acked or body.get("id") != write.acked_id:
            write.replay = f"status {answer.status}, id {body.get('id')}"
            self.recorder.violation("replay of an acknowledged create differs", {
                "request": f"POST {write.path} (Idempotency-Key {write.key})", "first": [write.acked, write.acked_id],
                "replay": [answer.status, body.get("id")], "body": excerpt(answer.body)})
        else:
            write.replay = "ok"

    def client_loop(self, index):
        client = Client(self.args.base_url, self.clients[index]["token"], self.recorder, self.args.request_timeout)
        sequence = 0
        time.sleep(index * 0.05)
        while not self.stop_new.is_set():
            write = self.make_write(index, sequence)
            with self.lock:
                self.writes.append(write)
            self.execute(client, write)
            if write.outcome == "acked" and sequence % self.args.replay_every == self.args.replay_every - 1:
                self.check_replay(client, write)
            if self.args.inject_duplicate and write.kind == "contactMoment" and write.outcome == "acked" \
                    and not getattr(self, "injected", False):
                # Self-check of the checker: the same create under a second key is a duplicate.
                self.injected = True
                client.call("POST", write.path, write.body, f"ft{self.run}-injected-{uuid.uuid4()}")
            sequence += 1
            time.sleep(self.args.think)
        client.close()

    def elapsed(self):
        return time.monotonic() - self.t0

    def fault_loop(self, cluster, schedule):
        for at, fault in schedule:
            pause = at - self.elapsed()
            if pause > 0:
                time.sleep(pause)
            begun = self.elapsed()
            try:
                if fault == "terminate":
                    detail = f"{cluster.terminate()} backends"
                elif fault == "terminate-burst":
                    counts = []
                    for _ in range(5):
                        counts.append(cluster.terminate())
                        time.sleep(0.15)
                    detail = "backends " + "+".join(map(str, counts))
                elif fault == "terminate-hunt":
                    detail = f"{cluster.hunt(self.args.hunt_seconds)} busy backends in {self.args.hunt_seconds:.0f} s"
                elif fault == "restart-fast":
                    started = time.monotonic()
                    cluster.run_script("restart")
                    detail = f"back after {time.monotonic() - started:.1f} s"
                elif fault == "crash":
                    cluster.stop_immediate()
                    time.sleep(self.args.crash_downtime)
                    started = time.monotonic()
                    cluster.run_script("resume")
                    detail = f"down {self.args.crash_downtime:.0f} s, recovery {time.monotonic() - started:.1f} s"
                else:
                    raise RuntimeError(f"unknown fault {fault}")
            except Exception as error:  # noqa: BLE001 - a failed fault is reported, not fatal
                detail = f"FAILED: {error}"
                self.recorder.violation("fault could not be injected", {"fault": fault, "error": str(error)})
            self.events.append((round(begun, 1), fault, detail))
            log(f"t={begun:5.1f}s {fault}: {detail}")

    def go(self, cluster):
        d = self.args.duration
        # Fractions of the load phase: terminations throughout, the restart and the crash apart.
        plan = [(0.08, "terminate"), (0.14, "terminate-hunt"), (0.22, "terminate-burst"), (0.30, "restart-fast"),
                (0.40, "terminate-hunt"), (0.48, "terminate"), (0.58, "crash"), (0.72, "terminate-hunt"),
                (0.82, "terminate-burst"), (0.90, "terminate")]
        schedule = [(round(f * d, 1), fault) for f, fault in plan]
        self.t0 = time.monotonic()
        self.hard_deadline = self.t0 + d + self.args.settle
        threads = [threading.Thread(target=self.client_loop, args=(i,), daemon=True) for i in range(len(self.clients))]
        faults = threading.Thread(target=self.fault_loop, args=(cluster, schedule), daemon=True)
        for thread in threads:
            thread.start()
        faults.start()
        next_report = 10
        while self.elapsed() < d:
            time.sleep(0.5)
            if self.elapsed() >= next_report:
                with self.lock:
                    acked = sum(1 for w in self.writes if w.outcome == "acked")
                    total = len(self.writes)
                log(f"t={self.elapsed():5.1f}s {total} creates started, {acked} acknowledged")
                next_report += 10
        self.stop_new.set()
        faults.join(timeout=max(0.0, self.hard_deadline - time.monotonic()))
        for thread in threads:
            thread.join(timeout=max(0.0, self.hard_deadline - time.monotonic()) + 5)
        stuck = [t for t in threads if t.is_alive()]
        if stuck:
            self.recorder.violation("client still waiting after the settle time", {"clients": len(stuck)})
        return schedule


# MARK: Setup


def setup(args, recorder, run):
    admin = Client(args.base_url, os.environ["FAULT_ADMIN_TOKEN"], recorder, args.request_timeout)
    me = admin.setup_call("GET", "/v1/me", key=False).json()
    log(f"admin: {me.get('email', me.get('id'))}")
    entity = admin.setup_call("POST", "/v1/entities", {"code": f"FT-{run.upper()}", "name": f"Fault test {run}"}).json()["id"]
    today = datetime.date.today()
    clients = []
    for index in range(args.clients):
        user = admin.setup_call("POST", "/v1/users", {
            "email": f"fault-officer-{run}-{index}@example.org", "displayName": f"Fault Officer {index}",
            "roles": ["officer"], "entityIds": [entity]}).json()
        token = admin.setup_call("POST", f"/v1/users/{user['id']}/tokens", {"name": "fault test", "expiresIn": 1}).json()
        secret = token.get("secret")
        if not secret:
            raise SetupError("token created without a secret")
        officer = Client(args.base_url, secret, recorder, args.request_timeout)
        home = officer.setup_call("POST", "/v1/employees", {
            "personnelNumber": f"FS{run}-{index}-home", "givenName": f"Client{index}", "familyName": "Home",
            "entityId": entity, "weeklyHours": 38}).json()["id"]
        absence = officer.setup_call("POST", f"/v1/employees/{home}/absences", {
            "kind": "illness", "startsOn": (today - datetime.timedelta(days=30)).isoformat()}).json()["id"]
        trajectory = officer.setup_call("POST", "/v1/trajectories", {
            "employeeId": home, "absenceId": absence, "goal": "returnOwnJob", "templateId": "active-presence"}).json()["id"]
        absence_employee = officer.setup_call("POST", "/v1/employees", {
            "personnelNumber": f"FS{run}-{index}-abs", "givenName": f"Client{index}", "familyName": "Absences",
            "entityId": entity, "weeklyHours": 38}).json()["id"]
        officer.close()
        clients.append({"user": user["id"], "token": secret, "entity": entity, "trajectory": trajectory,
                        "absenceEmployee": absence_employee})
    admin.close()
    log(f"setup: entity {entity}, {len(clients)} officers with a trajectory and an absence employee each")
    return clients


# MARK: Verification


def verify_database(cluster, load, run, recorder):
    """Marker -> ids in the database, the stored idempotent answers, the audit's create entries."""
    employees = [c["absenceEmployee"] for c in load.clients]
    trajectories = [c["trajectory"] for c in load.clients]
    rows = {}
    for row in cluster.json_query(f"SELECT id, personnel_number AS m FROM employees WHERE personnel_number LIKE 'FT{run}-%'"):
        rows.setdefault(("employee", row["m"]), []).append(row["id"])
    ids = ",".join(f"'{e}'" for e in employees)
    for row in cluster.json_query(f"SELECT id, employee_id || '/' || starts_on AS m FROM absences WHERE employee_id IN ({ids})"):
        rows.setdefault(("absence", row["m"]), []).append(row["id"])
    ids = ",".join(f"'{t}'" for t in trajectories)
    for row in cluster.json_query(f"SELECT id, summary AS m FROM contact_moments WHERE trajectory_id IN ({ids}) "
                                  f"AND summary LIKE 'Fault test {run} %'"):
        rows.setdefault(("contactMoment", row["m"]), []).append(row["id"])
    keys = {}
    for row in cluster.json_query(f"SELECT key, body FROM idempotency_keys WHERE key LIKE 'ft{run}-%'"):
        keys[row["key"]] = row
    audit = collections.Counter()
    for row in cluster.json_query("SELECT resource_id AS r, count(*) AS n FROM audit_log WHERE action = 'create' "
                                  "AND resource_id IS NOT NULL GROUP BY resource_id"):
        audit[row["r"]] = row["n"]
    return rows, keys, audit


def verify_api(args, load, recorder, run):
    """Marker -> ids as the API lists them; None for a collection that could not be read."""
    found = {}
    problems = []
    for index, spec in enumerate(load.clients):
        client = Client(args.base_url, spec["token"], recorder, args.request_timeout)
        listings = [("absence", f"/v1/employees/{spec['absenceEmployee']}/absences?pageSize=100",
                     lambda item: f"{spec['absenceEmployee']}/{item.get('startsOn')}"),
                    ("contactMoment", f"/v1/trajectories/{spec['trajectory']}/contactMoments?pageSize=100",
                     lambda item: item.get("summary"))]
        if index == 0:
            listings.append(("employee", f"/v1/employees?q=FT{run}-&pageSize=100", lambda item: item.get("personnelNumber")))
        for kind, path, marker in listings:
            items = client.collect(path)
            if items is None:
                problems.append(path)
                continue
            for item in items:
                found.setdefault((kind, marker(item)), []).append(item.get("id"))
        client.close()
    return found, problems


def check_logs(stdout_path, stderr_path, secrets, recorder):
    report = {"stdoutLines": 0, "stdoutNonJson": 0, "stderrLines": 0, "stderrNonJson": 0, "secretLines": 0,
              "bearerLines": 0}
    bearer = re.compile(r"bearer\s+[A-Za-z0-9_\-.~+/]{12,}", re.IGNORECASE)
    for path, stream in ((stdout_path, "stdout"), (stderr_path, "stderr")):
        if not path or not os.path.exists(path):
            continue
        with open(path, "rb") as handle:
            for number, raw in enumerate(handle, 1):
                line = raw.decode("utf-8", "replace").rstrip("\r\n")
                report[f"{stream}Lines"] += 1
                try:
                    valid = isinstance(json.loads(line), dict)
                except ValueError:
                    valid = False
                if not valid:
                    report[f"{stream}NonJson"] += 1
                    recorder.violation(f"server {stream} line that is not JSON", {"line": number, "text": excerpt(line, 200)})
                leaked = [s for s in secrets if s and s in line]
                if leaked:
                    report["secretLines"] += 1
                    shown = line
                    for s in leaked:
                        shown = shown.replace(s, s[:6] + "…<secret>")
                    recorder.violation("token secret in the server log", {"stream": stream, "line": number,
                                                                          "text": excerpt(shown, 400)})
                elif bearer.search(line):
                    report["bearerLines"] += 1
                    recorder.violation("bearer credential in the server log", {"stream": stream, "line": number,
                                                                               "text": excerpt(bearer.sub("Bearer <…>", line), 400)})
    return report


def attach_log_lines(stdout_path, recorder, secrets):
    """The server's own lines (other than the access log) for each example answer, by trace id."""
    wanted = {}
    for examples in recorder.examples.values():
        for example in examples:
            if isinstance(example, dict) and example.get("traceId"):
                wanted.setdefault(example["traceId"], []).append(example)
    if not wanted or not stdout_path or not os.path.exists(stdout_path):
        return
    with open(stdout_path, "rb") as handle:
        for raw in handle:
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            for trace in [t for t in wanted if t in line]:
                try:
                    if json.loads(line).get("message") == "request":
                        continue
                except (ValueError, AttributeError):
                    pass
                for s in secrets:
                    line = line.replace(s, s[:6] + "…<secret>") if s else line
                for example in wanted[trace]:
                    example.setdefault("log", excerpt(line, 600))


def server_alive(pid):
    if not pid:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--pg-dir", required=True)
    parser.add_argument("--pg-script", required=True, help="scripts/test-postgres.sh")
    parser.add_argument("--application-name", required=True, help="application_name of the server's connections")
    parser.add_argument("--server-pid", type=int)
    parser.add_argument("--server-stdout")
    parser.add_argument("--server-stderr")
    parser.add_argument("--report", help="write the full result as JSON here")
    parser.add_argument("--clients", type=int, default=6)
    parser.add_argument("--duration", type=float, default=70, help="seconds of load (new creates)")
    parser.add_argument("--settle", type=float, default=40, help="seconds after the load for retries to finish")
    parser.add_argument("--think", type=float, default=0.02, help="pause between a client's creates")
    parser.add_argument("--replay-every", type=int, default=5, help="send every Nth acknowledged create again")
    parser.add_argument("--request-timeout", type=float, default=15)
    parser.add_argument("--write-timeout", type=float, default=60, help="give up a create after retrying so long")
    parser.add_argument("--max-wait", type=float, default=5, help="longest Retry-After honoured")
    parser.add_argument("--crash-downtime", type=float, default=3)
    parser.add_argument("--hunt-seconds", type=float, default=3, help="length of each terminate-hunt")
    parser.add_argument("--max-retry-after", type=int, default=2, help="a 503's Retry-After above this is a violation")
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--inject-duplicate", action="store_true",
                        help="self-check: send one contact moment again under a new key; the test must fail")
    parser.add_argument("--async-commit", action="store_true",
                        help="keep the cluster's synchronous_commit = off (shows what a crash then loses)")
    args = parser.parse_args()
    random.seed(args.seed)
    run = uuid.uuid4().hex[:8]
    recorder = Recorder(args.max_retry_after)
    cluster = Cluster(args.pg_dir, args.pg_script, args.application_name)
    started = time.monotonic()

    try:
        if args.async_commit:
            log("synchronous_commit stays off: a crash can lose acknowledged commits (PostgreSQL's, not the server's)")
        else:
            cluster.durable_commits()
        clients = setup(args, recorder, run)
    except (SetupError, KeyError, TypeError, ValueError, RuntimeError, subprocess.SubprocessError) as error:
        log(f"setup failed: {error}")
        return 2
    secrets = [os.environ["FAULT_ADMIN_TOKEN"]] + [c["token"] for c in clients]

    load = Load(args, recorder, clients, run)
    log(f"load: {args.clients} clients for {args.duration:.0f} s (+ up to {args.settle:.0f} s to settle), run {run}")
    schedule = load.go(cluster)
    load_seconds = time.monotonic() - started

    # The server must be back: ready, and the database reachable for the checks.
    ready = False
    probe = Client(args.base_url, None, recorder, args.request_timeout)
    for _ in range(60):
        answer = probe.call("GET", "/health/ready", phase="verify")
        if answer.status == 200:
            ready = True
            break
        time.sleep(0.5)
    probe.close()
    if not ready:
        recorder.violation("server not ready after the faults", {"status": answer.status or answer.error,
                                                                  "body": excerpt(answer.body)})
    alive = server_alive(args.server_pid)
    if not alive:
        recorder.violation("server process died", {"pid": args.server_pid})

    writes = load.writes
    db_rows, keys, audit = verify_database(cluster, load, run, recorder)
    api_rows, api_problems = verify_api(args, load, recorder, run) if ready else ({}, ["(server not ready)"])
    for path in api_problems:
        recorder.violation("collection could not be read back through the API", {"path": path})

    tally = collections.Counter()
    markers = set()
    for write in writes:
        marker = (write.kind, write.marker)
        markers.add(marker)
        in_db = db_rows.get(marker, [])
        in_api = api_rows.get(marker, [])
        tally[f"outcome {write.outcome}"] += 1
        example = {"write": write.wid, "request": f"POST {write.path} (Idempotency-Key {write.key})",
                   "ackedId": write.acked_id, "database": in_db, "api": in_api, "attempts": write.attempts[-6:]}
        if len(in_db) > 1 or len(in_api) > 1:
            recorder.violation("duplicate", example)
        if write.outcome == "acked":
            if write.acked_id not in in_db:
                recorder.violation("acknowledged but missing in the database", example)
            if not api_problems and write.acked_id not in in_api:
                recorder.violation("acknowledged but missing through the API", example)
            if write.key not in keys:
                recorder.violation("acknowledged without a stored idempotent answer", example)
        elif in_db:
            tally["unacknowledged but committed"] += 1
        has_key = write.key in keys
        if in_db and not has_key:
            recorder.violation("effect without its stored idempotent answer", example)
        if has_key and not in_db:
            recorder.violation("stored idempotent answer without its effect", example)
        if write.saw_500:
            tally["creates that got a 500"] += 1
            if in_db:
                tally["creates that got a 500 but had committed"] += 1
        for resource in in_db:
            n = audit.get(resource, 0)
            tally[f"audit {write.kind} effects"] += 1
            if n == 0:
                tally[f"audit {write.kind} without a create entry"] += 1
            elif n > 1:
                tally[f"audit {write.kind} with more than one create entry"] += 1
        if write.replay:
            tally[f"replay {'ok' if write.replay == 'ok' else 'failed'}"] += 1
    for marker, ids in db_rows.items():
        if marker not in markers:
            recorder.violation("row in the database no create asked for", {"marker": marker, "ids": ids})

    logs = check_logs(args.server_stdout, args.server_stderr, secrets, recorder)
    attach_log_lines(args.server_stdout, recorder, secrets)

    # MARK: Summary
    per_kind = collections.Counter((w.kind, w.outcome) for w in writes)
    acked = sum(1 for w in writes if w.outcome == "acked")
    statuses = dict(sorted(recorder.statuses.items()))
    attempts_503 = recorder.statuses.get(503, 0)
    out = []
    out.append("")
    out.append(f"=== fault test, run {run}: {args.clients} clients, {args.duration:.0f} s of load, "
               f"{time.monotonic() - started:.0f} s in all (load {load_seconds:.0f} s)")
    out.append("faults: " + "; ".join(f"t={t}s {f} ({d})" for t, f, d in load.events))
    out.append(f"creates attempted: {len(writes)}   acknowledged: {acked}   "
               f"unacknowledged: {len(writes) - acked} "
               f"(rejected {tally['outcome rejected']}, gave up {tally['outcome unresolved']}; "
               f"of these committed anyway: {tally['unacknowledged but committed']})")
    out.append("  by kind: " + ", ".join(
        f"{kind} {per_kind[(kind, 'acked')]}/{sum(v for (k, _), v in per_kind.items() if k == kind)}"
        for kind in ("employee", "absence", "contactMoment")))
    retried = [w for w in writes if len(w.attempts) > 1]
    out.append(f"  acknowledged only after a retry with the same key: {sum(1 for w in retried if w.outcome == 'acked')} "
               f"(first answers: {dict(collections.Counter(str(w.attempts[0][1]) for w in retried))})")
    out.append(f"requests: {recorder.requests}   statuses: {statuses}   transport errors: {dict(recorder.errors)}")
    out.append(f"503: {attempts_503}, Retry-After values: {dict(recorder.retry_after)}")
    for detail, n in recorder.details_503.most_common():
        out.append(f"  {n} × {detail}")
    out.append(f"500 (and other 5xx but 503): {recorder.counts['500']}   creates that got one: "
               f"{tally['creates that got a 500']} (of which had committed: {tally['creates that got a 500 but had committed']})")
    other = {k: v for k, v in recorder.counts.items() if k.startswith("unexpected status")}
    out.append(f"other statuses on creates: {other or 'none'}")
    out.append(f"replays of acknowledged creates: ok {tally['replay ok']}, failed {tally['replay failed']}")
    out.append(f"duplicates: {recorder.counts['duplicate']}   missing: database "
               f"{recorder.counts['acknowledged but missing in the database']}, API "
               f"{recorder.counts['acknowledged but missing through the API']}")
    out.append("audit log, create entries per committed effect (information, not checked): " + ", ".join(
        f"{kind} {tally[f'audit {kind} effects']} effects, {tally[f'audit {kind} without a create entry']} without, "
        f"{tally[f'audit {kind} with more than one create entry']} with more than one"
        for kind in ("employee", "absence", "contactMoment")))
    out.append(f"server log: {logs['stdoutLines']} stdout lines, {logs['stdoutNonJson']} not JSON; "
               f"{logs['stderrLines']} stderr lines, {logs['stderrNonJson']} not JSON; "
               f"lines with a token secret {logs['secretLines']}, "
               f"other bearer credentials {logs['bearerLines']}")
    out.append(f"server: {'running' if alive else 'DIED'}, {'ready' if ready else 'NOT READY'} after the faults")
    checks = [
        ("no 500", ["500"]),
        ("every 503 has Retry-After", ["503 without Retry-After", "503 with an unreadable Retry-After"]),
        (f"Retry-After <= {args.max_retry_after} s", [f"503 with Retry-After > {args.max_retry_after}"]),
        ("no other status on a create", [k for k in recorder.counts if k.startswith("unexpected status")]
         + ["acknowledgement not a 201 with id and Location"]),
        ("every acknowledged create exists exactly once",
         ["duplicate", "acknowledged but missing in the database", "acknowledged but missing through the API",
          "row in the database no create asked for", "collection could not be read back through the API"]),
        ("stored idempotent answer iff effect", ["acknowledged without a stored idempotent answer",
                                                 "effect without its stored idempotent answer",
                                                 "stored idempotent answer without its effect"]),
        ("replay of an acknowledged create returns it", ["replay of an acknowledged create differs"]),
        ("every create resolved, server recovered", ["client still waiting after the settle time",
                                                     "server not ready after the faults", "server process died"]),
        ("server stdout is JSON lines", ["server stdout line that is not JSON"]),
        ("server stderr is JSON lines (or empty)", ["server stderr line that is not JSON"]),
        ("no token in the server log", ["token secret in the server log", "bearer credential in the server log"]),
        ("faults injected", ["fault could not be injected"]),
    ]
    if tally["outcome unresolved"]:
        recorder.violation("create never acknowledged", {"count": tally["outcome unresolved"]})
        dict(checks)["every create resolved, server recovered"].append("create never acknowledged")
    failed = 0
    out.append("checks:")
    for name, keys_ in checks:
        count = sum(recorder.counts[k] for k in keys_)
        failed += bool(count)
        out.append(f"  [{'FAIL' if count else ' ok '}] {name}" + (f": {count}" if count else ""))
        for k in keys_:
            if recorder.counts[k]:
                out.append(f"         {k}: {recorder.counts[k]}")
                for example in recorder.examples[k][:2]:
                    out.append(f"           e.g. {json.dumps(example, ensure_ascii=False)}")
    out.append(f"=== {'FAILED: ' + str(failed) + ' of ' + str(len(checks)) + ' checks' if failed else 'PASSED'}")
    print("\n".join(out), flush=True)

    if args.report:
        with open(args.report, "w") as handle:
            json.dump({
                "run": run, "schedule": schedule, "events": load.events, "creates": len(writes), "acknowledged": acked,
                "statuses": statuses, "transportErrors": dict(recorder.errors), "retryAfter": dict(recorder.retry_after),
                "violations": dict(recorder.counts), "examples": recorder.examples, "tally": dict(tally), "logs": logs,
                "writesWith500": [{"write": w.wid, "kind": w.kind, "key": w.key, "attempts": w.attempts,
                                   "outcome": w.outcome, "committed": bool(db_rows.get((w.kind, w.marker)))}
                                  for w in writes if w.saw_500],
            }, handle, indent=1, default=str)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
