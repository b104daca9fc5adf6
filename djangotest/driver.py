"""Run djintegrity rule examples under real Django and report what happened.

Started by the Go tests of package djangotest as /usr/bin/python3 driver.py,
once per database for the whole test run. It reads requests from stdin, one
JSON object per line:

    {"id": n, "tree": dir, "base_migrations": {app: [name, ...]},
     "scenario": {...}, "race_runs": n,
     "database": {"vendor": "sqlite", "name": file}
              or {"vendor": "postgresql", "name": db, "host": h, "port": p,
                  "user": u}}

and writes one JSON line per request on stdout, in the order the runs end:

    {"id": n, "result": {"steps": [...]} or {"fatal": text}}

(or {"cancel": n} stops the run of request n). `tree` is a temporary copy of
one example's head tree (this repository's examples only, never a reviewed
project). The driver imports Django once, then forks one child per request
(Django can be configured only once per process, and each run needs its own
settings and apps); the children run at the same time, each on its own copy
of the tree and its own database. A child configures Django in-process
(settings.configure) for the tree's apps, runs the scenario's steps and
sends back, for every step, what happened: the exception raised (class,
message, PostgreSQL's diagnostics), HTTP status, rows, race rounds, and what
the run wrote to stderr. Expectations are checked by the Go tests, not here.
At the end of stdin the driver waits for its children and exits.

Steps ("do"): migrate (to "base" or "head"), insert (rows through the
historical model of the migrations applied so far), sql, orm, call (a view
through a RequestFactory request, or a function), race (a call from N
threads released together, round after round), makemigrations_check,
makemigrations, raw_sql_after_error. A step may name the "databases" it runs
on; on the others it is reported as skipped.
"""

import ast
import datetime
import decimal
import gc
import json
import os
import select
import shutil
import signal
import sys
import threading
import time
import traceback
import uuid

import django
from django.conf import settings

STDERR_TAIL = 64 * 1024  # of a run's stderr, what the result carries


def main():
    # Imported once here, before the forks, rather than in each child.
    import django.core.handlers.base  # noqa: F401
    import django.core.management  # noqa: F401
    import django.db.backends.postgresql.base  # noqa: F401
    import django.db.backends.sqlite3.base  # noqa: F401
    import django.db.migrations.autodetector  # noqa: F401
    import django.db.migrations.executor  # noqa: F401
    import django.test  # noqa: F401

    # What the children inherit stays out of their collections (and their
    # pages stay shared): the parent allocates little from here on.
    gc.collect()
    gc.freeze()
    serve(sys.stdin.fileno(), sys.stdout)


def serve(infd, out):
    """Forks a child per request line; writes each result as a line when
    the child ends. Single-threaded, so that forking is safe."""
    pending = b""
    eof = False
    children = {}  # read end of the child's result pipe -> run
    by_id = {}
    while not eof or children:
        fds = list(children) + ([] if eof else [infd])
        readable, _, _ = select.select(fds, [], [])
        for fd in readable:
            if fd == infd:
                data = os.read(infd, 1 << 16)
                if not data:
                    eof = True
                    continue
                pending += data
                while b"\n" in pending:
                    line, pending = pending.split(b"\n", 1)
                    if not line.strip():
                        continue
                    request = json.loads(line)
                    if "cancel" in request:
                        run = by_id.get(request["cancel"])
                        if run:
                            os.kill(run["pid"], signal.SIGKILL)
                        continue
                    run = start_run(request, list(children))
                    children[run["rfd"]] = run
                    by_id[run["id"]] = run
                continue
            run = children[fd]
            chunk = os.read(fd, 1 << 16)
            if chunk:
                run["data"].append(chunk)
                continue
            del children[fd]
            del by_id[run["id"]]
            os.close(fd)
            out.write(json.dumps({"id": run["id"], "result": finish_run(run)}) + "\n")
            out.flush()


def start_run(request, inherited):
    """Forks the child that runs one request; returns what the parent keeps
    of it."""
    rfd, wfd = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        code = 0
        try:
            os.close(rfd)
            for fd in inherited + [sys.stdin.fileno()]:
                os.close(fd)
            result = run_child(request)
        except BaseException:  # a broken example must become a report, not a hang
            result = {"fatal": traceback.format_exc()}
            code = 1
        try:
            data = json.dumps(result, default=jsonable).encode()
        except Exception:
            data = json.dumps({"fatal": traceback.format_exc()}).encode()
        try:
            with os.fdopen(wfd, "wb") as f:
                f.write(data)
        finally:
            os._exit(code)
    os.close(wfd)
    return {"id": request.get("id"), "pid": pid, "rfd": rfd, "data": [], "vendor": request["database"]["vendor"]}


def finish_run(run):
    _, status = os.waitpid(run["pid"], 0)
    data = b"".join(run["data"])
    if not data:
        return {"fatal": "driver child for %s died (wait status %d) with no result" % (run["vendor"], status)}
    return json.loads(data)


def run_child(request):
    """Runs one request in the child: the example's own output (print, a
    C library) goes to a log file beside the tree, never into the protocol
    on stdout, and its tail comes back with the result."""
    log_path = request["tree"] + "-" + request["database"]["vendor"] + ".log"
    log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(log)
    sys.stdout = sys.stderr
    os.chdir(os.path.dirname(request["tree"]))
    try:
        result = run_database(request, request["database"])
    except BaseException:
        result = {"fatal": traceback.format_exc()}
    sys.stderr.flush()
    with open(log_path, "rb") as f:
        f.seek(0, os.SEEK_END)
        f.seek(max(0, f.tell() - STDERR_TAIL))
        result["stderr"] = f.read().decode("utf-8", "replace")
    return result


# --- Django set-up -----------------------------------------------------------


def discover_apps(tree):
    """Top-level packages of the tree that are Django apps (models or migrations)."""
    apps = []
    for name in sorted(os.listdir(tree)):
        path = os.path.join(tree, name)
        if not os.path.isfile(os.path.join(path, "__init__.py")):
            continue
        if (
            os.path.isfile(os.path.join(path, "models.py"))
            or os.path.isdir(os.path.join(path, "models"))
            or os.path.isdir(os.path.join(path, "migrations"))
        ):
            apps.append(name)
    return apps


def example_settings(tree):
    """What the example's settings.py says about ATOMIC_REQUESTS,
    DEFAULT_AUTO_FIELD and AUTH_USER_MODEL, read with ast (the settings
    module is not imported: it names databases and apps that do not exist
    here)."""
    found = {"atomic_requests": False, "default_auto_field": None, "auth_user_model": None}
    for name in sorted(os.listdir(tree)):
        path = os.path.join(tree, name, "settings.py")
        if not os.path.isfile(path):
            continue
        with open(path, encoding="utf-8") as f:
            module = ast.parse(f.read(), path)
        for node in module.body:
            if not isinstance(node, ast.Assign) or len(node.targets) != 1:
                continue
            target = node.targets[0]
            if not isinstance(target, ast.Name):
                continue
            if target.id == "DEFAULT_AUTO_FIELD" and isinstance(node.value, ast.Constant):
                found["default_auto_field"] = node.value.value
            if target.id == "AUTH_USER_MODEL" and isinstance(node.value, ast.Constant):
                found["auth_user_model"] = node.value.value
            if target.id == "DATABASES" and isinstance(node.value, ast.Dict):
                for key, value in zip(node.value.keys, node.value.values):
                    if isinstance(key, ast.Constant) and key.value == "default" and isinstance(value, ast.Dict):
                        for k, v in zip(value.keys, value.values):
                            if isinstance(k, ast.Constant) and k.value == "ATOMIC_REQUESTS" and isinstance(v, ast.Constant):
                                found["atomic_requests"] = bool(v.value)
    return found


def postgres_admin(db):
    import psycopg2

    conn = psycopg2.connect(dbname="postgres", host=db["host"], port=db["port"], user=db["user"])
    conn.autocommit = True
    return conn


def conf_for(db):
    """The DATABASES entry of a database of the run."""
    if db["vendor"] == "sqlite":
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": db["name"]}
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": db["name"],
        "HOST": db["host"],
        "PORT": db["port"],
        "USER": db["user"],
    }


def configure(tree, installed_apps, database):
    """Configures Django in this process for the example tree: its apps
    (installed_apps, then the tree's top-level apps), what its settings.py
    says of ATOMIC_REQUESTS, DEFAULT_AUTO_FIELD and AUTH_USER_MODEL, and
    the database given, and returns the apps and what settings.py said.
    namecheck.py configures its children the same way."""
    sys.path.insert(0, tree)
    found = example_settings(tree)
    apps = installed_apps + discover_apps(tree)
    conf = dict(database, ATOMIC_REQUESTS=found["atomic_requests"])
    extra = {"AUTH_USER_MODEL": found["auth_user_model"]} if found["auth_user_model"] else {}
    settings.configure(
        DEBUG=False,
        SECRET_KEY="djangotest-not-a-secret",
        ALLOWED_HOSTS=["*"],
        INSTALLED_APPS=apps,
        DATABASES={"default": conf},
        DEFAULT_AUTO_FIELD=found["default_auto_field"] or "django.db.models.BigAutoField",
        USE_TZ=True,
        LOGGING_CONFIG=None,
        ROOT_URLCONF=__name__,
        # Examples' views may render their app's templates/ ...
        TEMPLATES=[{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True}],
        # ... and be Django REST framework views, which here authenticate
        # no one (no auth app is installed) and let everyone in.
        REST_FRAMEWORK={
            "DEFAULT_AUTHENTICATION_CLASSES": [],
            "DEFAULT_PERMISSION_CLASSES": [],
            "UNAUTHENTICATED_USER": None,
        },
        **extra,
    )
    django.setup()
    return apps, found


def run_database(request, db):
    # Each database gets its own copy: a step may write into the tree
    # (makemigrations), and the other database must not see that.
    tree = request["tree"] + "-" + db["vendor"]
    shutil.copytree(request["tree"], tree)
    scenario = request["scenario"]
    if db["vendor"] == "postgresql":
        admin = postgres_admin(db)
        with admin.cursor() as cur:
            cur.execute('CREATE DATABASE "%s" STRATEGY FILE_COPY' % db["name"])
    apps, found = configure(tree, scenario.get("installed_apps") or [], conf_for(db))
    if db["vendor"] == "sqlite":
        from django.db.backends.signals import connection_created

        def no_sync(sender, connection, **kwargs):
            # Commits without fsync, as the PostgreSQL cluster runs with
            # fsync off: durability is not under test, and locking and
            # constraint checks do not change.
            connection.cursor().execute("PRAGMA synchronous = OFF")

        connection_created.connect(no_sync)
    runner = Runner(request, db["vendor"])
    try:
        steps = runner.run(scenario.get("steps", []))
    finally:
        from django.db import connections

        connections.close_all()
        if db["vendor"] == "postgresql":
            with admin.cursor() as cur:
                cur.execute('DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % db["name"])
            admin.close()
    return {"django": django.get_version(), "apps": apps, "atomic_requests": found["atomic_requests"], "steps": steps}


urlpatterns = []  # ROOT_URLCONF: views are called directly, never resolved


# --- Results -----------------------------------------------------------------


def jsonable(value):
    """Values of the rows, made comparable across SQLite and PostgreSQL."""
    if isinstance(value, decimal.Decimal):
        return normal_number(value)
    if isinstance(value, (datetime.date, datetime.datetime, datetime.time)):
        return value.isoformat()
    if isinstance(value, (uuid.UUID, bytes, memoryview)):
        return str(value)
    if isinstance(value, (set, tuple)):
        return list(value)
    return repr(value)


def normal_number(value):
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def row_values(row):
    out = []
    for v in row:
        if isinstance(v, (bool, decimal.Decimal, float)):
            v = normal_number(v)
        elif isinstance(v, uuid.UUID):
            v = str(v)
        out.append(v)
    return out


def describe_error(exc):
    """The exception as a traceback's last line shows it, plus PostgreSQL's
    diagnostics of the database error underneath."""
    cls = type(exc)
    message = str(exc).strip()
    out = {
        "class": cls.__name__,
        "type": "%s.%s" % (cls.__module__, cls.__qualname__),
        "message": message,
        "text": "%s.%s: %s" % (cls.__module__, cls.__qualname__, message),
    }
    cause = exc.__cause__ or exc.__context__
    while cause is not None and not hasattr(cause, "pgcode") and (cause.__cause__ or cause.__context__):
        cause = cause.__cause__ or cause.__context__
    if cause is not None and getattr(cause, "pgcode", None):
        diag = cause.diag
        out["pg"] = {
            "sqlstate": cause.pgcode,
            "class": type(cause).__name__,
            "primary": diag.message_primary,
            "detail": diag.message_detail,
            "constraint": diag.constraint_name,
            "table": diag.table_name,
            "column": diag.column_name,
        }
    if not cls.__module__.startswith(("django.", "psycopg2", "sqlite3")) and "MultipleObjectsReturned" not in cls.__name__ and "DoesNotExist" not in cls.__name__:
        # An error of the example itself (NameError, KeyError...): keep where.
        out["traceback"] = "".join(traceback.format_exception(cls, exc, exc.__traceback__)[-6:])
    return out


# --- Steps -------------------------------------------------------------------


def expand(value, env):
    """Replaces {round} and {run} in the strings of a call spec."""
    if isinstance(value, str):
        for k, v in env.items():
            value = value.replace("{%s}" % k, str(v))
        return value
    if isinstance(value, list):
        return [expand(v, env) for v in value]
    if isinstance(value, dict):
        return {k: expand(v, env) for k, v in value.items()}
    return value


def per_vendor(value, vendor):
    """A step value may differ per database: {"sqlite": ..., "postgresql": ...}."""
    if isinstance(value, dict) and set(value) <= {"sqlite", "postgresql"} and value:
        return value.get(vendor)
    return value


class Runner:
    def __init__(self, request, vendor):
        self.request = request
        self.vendor = vendor
        self.race_runs = max(1, int(request.get("race_runs") or 1))

    def run(self, steps):
        results = []
        for i, step in enumerate(steps):
            kind = step.get("do")
            handler = getattr(self, "step_" + str(kind).replace("-", "_"), None)
            result = {"index": i, "do": kind}
            if self.vendor not in step.get("databases", [self.vendor]):
                result["skipped"] = True
                results.append(result)
                continue
            started = time.monotonic()
            if handler is None:
                result["fatal"] = "unknown step %r" % kind
            else:
                try:
                    result.update(handler(step))
                except Exception as exc:  # the step itself raised: that is the observation
                    result["error"] = describe_error(exc)
            result["seconds"] = round(time.monotonic() - started, 3)
            results.append(result)
        return results

    # migrate: "base" (the leaf migrations of the base tree), "head" (every
    # leaf of the head tree) or a list of [app, name] targets.
    def step_migrate(self, step):
        from django.db import connection
        from django.db.migrations.executor import MigrationExecutor

        executor = MigrationExecutor(connection)
        graph = executor.loader.graph
        to = step.get("to", "head")
        if to == "head":
            targets = graph.leaf_nodes()
        elif to == "base":
            targets = base_targets(graph, self.request.get("base_migrations") or {})
        else:
            targets = [tuple(t) for t in to]
        plan = executor.migration_plan(targets)
        applied = []

        def progress(action, migration=None, fake=False):
            if action == "apply_success":
                applied.append("%s.%s" % (migration.app_label, migration.name))

        executor.progress_callback = progress
        out = {"targets": ["%s.%s" % t for t in targets], "plan": ["%s.%s" % (m.app_label, m.name) for m, _ in plan]}
        try:
            executor.migrate(targets, plan=plan)
        finally:
            out["applied"] = applied
        return out

    def current_state_apps(self):
        from django.db import connection
        from django.db.migrations.executor import MigrationExecutor

        executor = MigrationExecutor(connection)
        applied = [key for key in executor.recorder.applied_migrations() if key in executor.loader.graph.nodes]
        return executor.loader.project_state(applied, at_end=True).apps

    # insert: rows through the historical model of the migrations applied so
    # far, as the rows of a live table (ids 1, 2, ... in order).
    def step_insert(self, step):
        model = self.current_state_apps().get_model(step["model"])
        ids = []
        for row in step["rows"]:
            ids.append(model.objects.create(**row).pk)
        return {"ids": ids}

    # sql: one statement (or one per vendor); rows of a SELECT come back.
    def step_sql(self, step):
        from django.db import connection

        sql = per_vendor(step["sql"], self.vendor)
        with connection.cursor() as cur:
            cur.execute(sql, step.get("params") or None)
            rows = cur.fetchall() if cur.description else []
        return {"rows": [row_values(r) for r in rows]}

    # orm: a chain of calls on a model of the head tree, e.g.
    # {"model": "shop.Order", "chain": [["filter", {"pk": 1}], ["delete", {}]]}
    def step_orm(self, step):
        from django.apps import apps
        from django.db import models
        from django.db.models.query import QuerySet

        value = apps.get_model(step["model"]).objects
        for name, kwargs in step["chain"]:
            value = getattr(value, name)(**(kwargs or {}))
        if isinstance(value, QuerySet):
            # Whole objects, so that every column is read; values: those only.
            value = list(value.values_list(*step["values"])) if step.get("values") else len(list(value))
        elif isinstance(value, models.Model):
            value = value.pk
        return {"value": value}

    # call: a view (with a RequestFactory request, run as Django's handler
    # runs it: ATOMIC_REQUESTS, status codes) or a plain function.
    def step_call(self, step):
        return call(step["call"], {"round": 0, "run": 0}, probe=step.get("probe_raw_sql"))

    # race: the call from N threads released together by a barrier, round
    # after round, until a round shows the hazard (duplicate rows, or a call
    # that raised) or max_rounds pass. Repeated race_runs times.
    def step_race(self, step):
        runs = []
        repeat = self.race_runs if step.get("repeat", True) else 1
        for run in range(repeat):
            runs.append(race(step, run))
        out = {"runs": runs, "rounds": [r["rounds"] for r in runs]}
        # hazard: some run showed duplicates or an error; all_hazard: every
        # run reproduced what the race stops on.
        out["hazard"] = any(r["hazard"] or r.get("errors") for r in runs)
        out["all_hazard"] = all(r["hazard"] for r in runs)
        first = next((r for r in runs if r.get("error")), None)
        if first:
            out["race_error"] = first["error"]
        for r in runs:
            for cls, sample in r.get("error_samples", {}).items():
                out.setdefault("race_errors", {}).setdefault(cls, sample)
        if step.get("then"):
            out["then"] = call(step["then"], {"round": runs[0]["last_round"], "run": 0})
        return out

    # makemigrations_check: what `makemigrations --check --dry-run` would
    # write: the autodetector's operations per app, empty when none.
    def step_makemigrations_check(self, step):
        from django.apps import apps
        from django.db.migrations.autodetector import MigrationAutodetector
        from django.db.migrations.loader import MigrationLoader
        from django.db.migrations.questioner import NonInteractiveMigrationQuestioner
        from django.db.migrations.state import ProjectState

        loader = MigrationLoader(None, ignore_no_migrations=True)
        autodetector = MigrationAutodetector(
            loader.project_state(),
            ProjectState.from_apps(apps),
            NonInteractiveMigrationQuestioner(specified_apps=None, dry_run=True),
        )
        try:
            changes = autodetector.changes(graph=loader.graph)
        except SystemExit as exc:
            # makemigrations stops to ask for a one-off default of a new NOT
            # NULL field: a migration is needed, it just cannot be written
            # unattended.
            return {"changes": {"*": ["makemigrations needs a one-off default (exit %s)" % exc.code]}}
        return {
            "changes": {
                app: [op.describe() for m in migrations for op in m.operations]
                for app, migrations in sorted(changes.items())
            }
        }

    # makemigrations: writes the migrations the models need into the tree
    # (a temporary copy), as a developer would after the finding.
    def step_makemigrations(self, step):
        import importlib

        from django.core.management import call_command

        call_command("makemigrations", *step.get("apps", []), verbosity=0, interactive=False)
        importlib.invalidate_caches()
        return self.step_makemigrations_check({})

    # raw_sql_after_error: inside atomic(), a raw INSERT whose IntegrityError
    # is caught, then the next raw statement: what the database does with the
    # transaction (PostgreSQL aborts it, SQLite does not).
    def step_raw_sql_after_error(self, step):
        from django.db import IntegrityError, connection, transaction

        out = {}
        try:
            with transaction.atomic():
                with connection.cursor() as cur:
                    try:
                        cur.execute(per_vendor(step["failing_sql"], self.vendor))
                    except IntegrityError as exc:
                        out["caught"] = describe_error(exc)
                    cur.execute(per_vendor(step["next_sql"], self.vendor))
                    out["rows"] = [row_values(r) for r in cur.fetchall()] if cur.description else []
        except Exception as exc:
            out["error"] = describe_error(exc)
        return out


def base_targets(graph, base):
    """The leaves of the base tree's migrations within the head's graph."""
    nodes = {(app, name) for app, names in base.items() for name in names}
    missing = [n for n in nodes if n not in graph.nodes]
    if missing:
        raise RuntimeError("base migrations missing from the head tree: %r" % sorted(missing))
    targets = []
    for node in sorted(nodes):
        children = graph.node_map[node].children
        if not any(child.key in nodes and child.key[0] == node[0] for child in children):
            targets.append(node)
    return targets


def resolve(dotted):
    """The object a dotted path names: the longest importable module, then
    attributes (shop.models.Order.objects.open_for)."""
    import importlib

    parts = dotted.split(".")
    for i in range(len(parts) - 1, 0, -1):
        module = ".".join(parts[:i])
        try:
            obj = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name is not None and module.startswith(exc.name):
                continue  # not a module: try a shorter prefix
            raise
        for part in parts[i:]:
            obj = getattr(obj, part)
        return obj
    raise ModuleNotFoundError("no module in " + dotted)


def call(spec, env, probe=False):
    """One call of a view or function; the outcome, never an exception."""
    from django.db import connection

    spec = expand(spec, env)
    out = {}
    probe_state = {}

    def probe_wrapper(execute, sql, params, many, context):
        # The next query after a caught error in a broken transaction:
        # before Django refuses it, send raw SQL to the database itself.
        if connection.needs_rollback and connection.in_atomic_block and "raw_sql" not in probe_state:
            try:
                with connection.wrap_database_errors:
                    raw = connection.connection.cursor()
                    raw.execute("SELECT 1")
                    raw.fetchall()
                probe_state["raw_sql"] = {"ok": True}
            except Exception as exc:
                probe_state["raw_sql"] = {"ok": False, "error": describe_error(exc)}
        return execute(sql, params, many, context)

    try:
        if probe:
            with connection.execute_wrapper(probe_wrapper):
                out.update(invoke(spec))
        else:
            out.update(invoke(spec))
    except Exception as exc:
        out["error"] = describe_error(exc)
        if "view" in spec:
            out["status"] = 500  # what Django's handler answers for an unhandled exception
    if probe:
        out["raw_sql"] = probe_state.get("raw_sql", {"ok": None})
    return out


def invoke(spec):
    if "func" in spec:
        value = resolve(spec["func"])(*spec.get("args", []), **spec.get("kwargs", {}))
        return {"returned": repr(value)[:200]}
    from django.core.exceptions import PermissionDenied
    from django.core.handlers.base import BaseHandler
    from django.http import Http404
    from django.test import RequestFactory

    view = resolve(spec["view"])
    if isinstance(view, type):
        view = view.as_view()
    factory = RequestFactory()
    method = spec.get("method", "post").lower()
    path = spec.get("path", "/")
    if "json" in spec:
        request = getattr(factory, method)(path, data=json.dumps(spec["json"]), content_type="application/json")
    else:
        request = getattr(factory, method)(path, data=spec.get("data", {}))
    if "session" in spec:
        request.session = dict(spec["session"])
    # What MessageMiddleware attaches: views may call messages.error().
    from django.contrib.messages.storage.cookie import CookieStorage

    request._messages = CookieStorage(request)
    view = BaseHandler().make_view_atomic(view)
    try:
        response = view(request, **spec.get("kwargs", {}))
    except Http404:
        return {"status": 404}
    except PermissionDenied:
        return {"status": 403}
    out = {"status": getattr(response, "status_code", None)}
    if out["status"] is None:
        out["returned"] = repr(response)[:200]
    return out


def race(step, run):
    """Rounds of `threads` concurrent calls; stops at the first round that
    shows the hazard."""
    from django.db import connection, connections

    threads = int(step.get("threads", 8))
    max_rounds = int(step.get("max_rounds", 30))
    start = threading.Barrier(threads + 1)
    done = threading.Barrier(threads + 1)
    state = {"round": 0, "stop": False}
    results = [None] * threads

    def worker(i):
        try:
            while True:
                start.wait()
                if state["stop"]:
                    return
                results[i] = call(step["call"], {"round": state["round"], "run": run, "thread": i})
                done.wait()
        finally:
            connection.close()

    pool = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(threads)]
    for t in pool:
        t.start()
    out = {"hazard": False, "rounds": None, "last_round": 0, "statuses": {}, "max_count": None}
    try:
        for rnd in range(1, max_rounds + 1):
            state["round"] = rnd
            for sql in step.get("reset_sql", []):
                with connection.cursor() as cur:
                    cur.execute(sql)
            start.wait(timeout=120)
            done.wait(timeout=120)
            out["last_round"] = rnd
            for r in results:
                key = str(r.get("status", "error" if "error" in r else "ok"))
                out["statuses"][key] = out["statuses"].get(key, 0) + 1
            errors = [r["error"] for r in results if "error" in r]
            if errors:
                out["errors"] = out.get("errors", 0) + len(errors)
                out.setdefault("error", errors[0])
                for e in errors:  # one sample of each kind of error seen
                    out.setdefault("error_samples", {}).setdefault(e["class"], e)
            count = None
            if step.get("count_sql"):
                with connection.cursor() as cur:
                    cur.execute(step["count_sql"], expand(step.get("count_params", []), {"round": rnd, "run": run}))
                    count = cur.fetchone()[0]
                out["max_count"] = max(out["max_count"] or 0, count)
            duplicates = count is not None and count > 1
            if duplicates:
                out["duplicates"] = count
            # stop_on "duplicates": errors alone do not end the race (the
            # scenario needs the duplicate rows themselves).
            if duplicates or (errors and step.get("stop_on", "any") == "any"):
                out["hazard"] = True
                out["rounds"] = rnd
                break
    finally:
        state["stop"] = True
        start.wait(timeout=120)
        for t in pool:
            t.join(timeout=120)
        connections["default"].close()
    return out


if __name__ == "__main__":
    main()
