"""Iris classifier: a small real model served with the Python standard library.

At start it reads iris.csv (next to this file), trains a multinomial logistic
regression with plain-Python full-batch gradient descent, prints the training
accuracy, and serves predictions over HTTP on 127.0.0.1:$PORT.

Routes (also served under the EAS direct-mode prefix /api/predict/<service>):
  POST /         {"features": [4 numbers]} or {"instances": [[4 numbers], ...]}
  GET  /         model info (JSON)
  GET  /health   200 "ok" once the model is trained, 503 before

Environment:
  PORT                port to listen on (default 8000)
  SLOW_START_SECONDS  sleep this long before opening the port (default 0)
  PIER_SERVICE, PIER_INSTANCE, PIER_REVISION  set by Pier; echoed in answers
  IRIS_CSV            another data file with the same columns (optional)

SIGTERM/SIGINT: stop accepting, let in-flight requests finish (25 s at most),
exit 0.
"""

import csv
import json
import math
import os
import re
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HERE = os.path.dirname(os.path.abspath(__file__))
FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
EPOCHS = 300
LEARNING_RATE = 0.5
L2 = 1e-4
MAX_BODY_BYTES = 1 << 20
MAX_INSTANCES = 1000
DRAIN_SECONDS = 25.0
PREFIX_RE = re.compile(r"^/api/predict/[^/?#]+")


def log(msg):
    print(f"{time.strftime('%Y-%m-%dT%H:%M:%S')} {msg}", flush=True)


# --------------------------------------------------------------------------- model


def load_dataset(path):
    xs, labels = [], []
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            xs.append([float(row[name]) for name in FEATURES])
            labels.append(row["species"])
    return xs, labels


def softmax(zs):
    m = max(zs)
    es = [math.exp(z - m) for z in zs]
    s = sum(es)
    return [e / s for e in es]


class IrisModel:
    """Softmax regression on standardized features. Deterministic: zero init,
    full-batch gradient descent, fixed epochs."""

    def __init__(self, xs, labels):
        self.classes = sorted(set(labels))
        n, d, k = len(xs), len(FEATURES), len(self.classes)
        self.mean = [sum(x[j] for x in xs) / n for j in range(d)]
        self.std = [
            math.sqrt(sum((x[j] - self.mean[j]) ** 2 for x in xs) / n) or 1.0
            for j in range(d)
        ]
        zs = [self._standardize(x) for x in xs]
        ys = [self.classes.index(label) for label in labels]
        self.w = [[0.0] * d for _ in range(k)]
        self.b = [0.0] * k
        for _ in range(EPOCHS):
            gw = [[0.0] * d for _ in range(k)]
            gb = [0.0] * k
            for z, y in zip(zs, ys):
                p = self._probs_std(z)
                for c in range(k):
                    err = p[c] - (1.0 if c == y else 0.0)
                    gb[c] += err
                    row = gw[c]
                    for j in range(d):
                        row[j] += err * z[j]
            for c in range(k):
                self.b[c] -= LEARNING_RATE * gb[c] / n
                for j in range(d):
                    self.w[c][j] -= LEARNING_RATE * (gw[c][j] / n + L2 * self.w[c][j])
        correct = sum(1 for z, y in zip(zs, ys) if self._argmax(self._probs_std(z)) == y)
        self.training_accuracy = correct / n
        self.training_rows = n

    def _standardize(self, x):
        return [(x[j] - self.mean[j]) / self.std[j] for j in range(len(x))]

    def _probs_std(self, z):
        return softmax([self.b[c] + sum(wj * zj for wj, zj in zip(self.w[c], z))
                        for c in range(len(self.classes))])

    @staticmethod
    def _argmax(p):
        return max(range(len(p)), key=p.__getitem__)

    def predict(self, x):
        p = self._probs_std(self._standardize(x))
        return {
            "label": self.classes[self._argmax(p)],
            "probabilities": {c: round(pc, 6) for c, pc in zip(self.classes, p)},
        }


# --------------------------------------------------------------------------- input


class BadRequest(Exception):
    pass


def check_vector(value, where):
    if not isinstance(value, list):
        raise BadRequest(f"{where} must be a list of {len(FEATURES)} numbers "
                         f"({', '.join(FEATURES)}), got {type(value).__name__}")
    if len(value) != len(FEATURES):
        raise BadRequest(f"{where} must have {len(FEATURES)} numbers "
                         f"({', '.join(FEATURES)}), got {len(value)}")
    for i, v in enumerate(value):
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise BadRequest(f"{where}[{i}] must be a number, got {json.dumps(v)}")
        if not math.isfinite(v):
            raise BadRequest(f"{where}[{i}] must be a finite number, got {v}")
    return [float(v) for v in value]


def parse_request(body):
    try:
        doc = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise BadRequest("body is not UTF-8 text")
    except json.JSONDecodeError as e:
        raise BadRequest(f"body is not valid JSON: {e}")
    if not isinstance(doc, dict):
        raise BadRequest('body must be a JSON object: {"features": [...]} or '
                         '{"instances": [[...], ...]}')
    has_f, has_i = "features" in doc, "instances" in doc
    if has_f == has_i:
        raise BadRequest('body must have exactly one of "features" (one row of '
                         f'{len(FEATURES)} numbers) or "instances" (a list of rows)')
    if has_f:
        return [check_vector(doc["features"], "features")]
    rows = doc["instances"]
    if not isinstance(rows, list) or not rows:
        raise BadRequest('"instances" must be a non-empty list of rows')
    if len(rows) > MAX_INSTANCES:
        raise BadRequest(f'"instances" has {len(rows)} rows; at most {MAX_INSTANCES}')
    return [check_vector(r, f"instances[{i}]") for i, r in enumerate(rows)]


# --------------------------------------------------------------------------- server


class State:
    def __init__(self):
        self.model = None
        self.error = None
        self.draining = False
        self.in_flight = 0
        self.cond = threading.Condition()
        self.started = time.time()

    def enter(self):
        with self.cond:
            self.in_flight += 1

    def leave(self):
        with self.cond:
            self.in_flight -= 1
            self.cond.notify_all()

    def wait_idle(self, timeout):
        deadline = time.monotonic() + timeout
        with self.cond:
            while self.in_flight > 0:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.cond.wait(left)
        return True


def identity():
    return {
        "service": os.environ.get("PIER_SERVICE"),
        "instance": os.environ.get("PIER_INSTANCE"),
        "revision": os.environ.get("PIER_REVISION"),
    }


def make_handler(state):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive for the gateway
        server_version = "iris-classifier/1.0"
        timeout = 60  # idle keep-alive connections

        def _send(self, status, body, content_type="application/json"):
            if content_type == "application/json":
                data = (json.dumps(body) + "\n").encode()
            else:
                data = str(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            if state.draining:
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        def _error(self, status, message, code):
            self._send(status, {"error": message, "code": code, **identity()})

        def _route(self):
            path = self.path.split("?", 1)[0].split("#", 1)[0]
            m = PREFIX_RE.match(path)
            if m:
                path = path[m.end():]
            return path or "/"

        def _handle(self):
            state.enter()
            self._t0 = time.monotonic()
            try:
                self._dispatch()
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True
            finally:
                state.leave()

        def _dispatch(self):
            path = self._route()
            method = self.command
            if path == "/health":
                if method not in ("GET", "HEAD"):
                    return self._error(405, f"{method} not allowed on /health; use GET",
                                       "METHOD_NOT_ALLOWED")
                if state.model is None:
                    return self._send(503, "loading\n" if state.error is None
                                      else f"failed: {state.error}\n", "text/plain")
                return self._send(200, "ok\n", "text/plain")
            if path != "/":
                return self._error(404, f"no route {path}; try POST /, GET /, GET /health",
                                   "NOT_FOUND")
            if method in ("GET", "HEAD"):
                return self._send(200, self._info())
            if method != "POST":
                return self._error(405, f"{method} not allowed on /; use POST or GET",
                                   "METHOD_NOT_ALLOWED")
            body = self._read_body()
            if body is None:
                return
            if state.model is None:
                return self._error(503, "model is still loading", "NOT_READY")
            try:
                rows = parse_request(body)
            except BadRequest as e:
                return self._error(400, str(e), "BAD_REQUEST")
            preds = [state.model.predict(x) for x in rows]
            self._send(200, {"predictions": preds, "instance": identity()["instance"]})

        def _read_body(self):
            if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
                self.close_connection = True
                self._error(411, "chunked request bodies are not supported; "
                            "send Content-Length", "LENGTH_REQUIRED")
                return None
            try:
                length = int(self.headers.get("Content-Length", "0"))
            except ValueError:
                self.close_connection = True
                self._error(400, "Content-Length is not a number", "BAD_REQUEST")
                return None
            if length < 0 or length > MAX_BODY_BYTES:
                self.close_connection = True
                self._error(413, f"body of {length} bytes; at most {MAX_BODY_BYTES}",
                            "TOO_LARGE")
                return None
            return self.rfile.read(length)

        def _info(self):
            m = state.model
            info = {
                "model": "iris softmax regression (plain-Python gradient descent)",
                "ready": m is not None,
                "features": FEATURES,
                "request_examples": [{"features": [5.1, 3.5, 1.4, 0.2]},
                                     {"instances": [[6.3, 3.3, 6.0, 2.5]]}],
                **identity(),
                "uptime_seconds": round(time.time() - state.started, 3),
            }
            if m is not None:
                info.update({
                    "classes": m.classes,
                    "training_rows": m.training_rows,
                    "training_accuracy": round(m.training_accuracy, 4),
                    "epochs": EPOCHS,
                    "learning_rate": LEARNING_RATE,
                })
            return info

        do_GET = do_POST = do_HEAD = do_PUT = do_DELETE = do_PATCH = _handle

        def log_request(self, code="-", size="-"):
            ms = (time.monotonic() - getattr(self, "_t0", time.monotonic())) * 1000
            log(f"{self.client_address[0]} {self.command} {self.path} {code} {ms:.1f}ms")

        def log_message(self, fmt, *args):  # errors from http.server itself
            log(fmt % args)

    return Handler


def main():
    state = State()
    stop = threading.Event()

    def on_signal(signum, _frame):
        log(f"received {signal.Signals(signum).name}; draining")
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    port = int(os.environ.get("PORT", "8000"))
    slow = float(os.environ.get("SLOW_START_SECONDS", "0") or 0)
    if slow > 0:
        log(f"SLOW_START_SECONDS={slow:g}: waiting before opening port {port}")
        if stop.wait(slow):
            log("stopped before start")
            return 0

    try:
        server = ThreadingHTTPServer(("127.0.0.1", port), make_handler(state))
    except OSError as e:
        log(f"cannot listen on 127.0.0.1:{port}: {e}")
        return 1
    server.daemon_threads = True  # idle keep-alive threads must not block exit
    threading.Thread(target=server.serve_forever, name="http", daemon=True).start()
    ident = identity()
    log(f"listening on http://127.0.0.1:{port} service={ident['service']} "
        f"instance={ident['instance']} revision={ident['revision']}")

    data_path = os.environ.get("IRIS_CSV") or os.path.join(HERE, "iris.csv")
    try:
        t0 = time.monotonic()
        xs, labels = load_dataset(data_path)
        model = IrisModel(xs, labels)
        state.model = model
        log(f"trained on {model.training_rows} rows from {data_path} in "
            f"{(time.monotonic() - t0) * 1000:.0f} ms: training accuracy "
            f"{model.training_accuracy:.4f} ({round(model.training_accuracy * model.training_rows)}"
            f"/{model.training_rows})")
    except Exception as e:  # keep serving /health as 503 with the reason
        state.error = f"{type(e).__name__}: {e}"
        log(f"model failed to load from {data_path}: {state.error}")

    while not stop.wait(1.0):
        pass

    state.draining = True
    server.shutdown()      # stop accepting (serve_forever runs in another thread)
    server.server_close()  # close the listening socket
    if state.wait_idle(DRAIN_SECONDS):
        log("in-flight requests finished; exiting")
    else:
        log(f"{state.in_flight} request(s) still running after {DRAIN_SECONDS:g}s; exiting")
    return 0


if __name__ == "__main__":
    sys.exit(main())
