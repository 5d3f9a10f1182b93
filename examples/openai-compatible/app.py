"""OpenAI-compatible chat service: the Python standard library only.

A stand-in for an LLM server (vLLM, SGLang and llama.cpp's server speak the same
API): the "model" answers "You said: <last user message>" word by word, so its
answers are predictable. Streaming follows the OpenAI API: one
`data: {"object": "chat.completion.chunk", ...}` Server-Sent Event per token, each
written and flushed on its own, then `data: [DONE]`.

Routes (also served under /api/predict/<service>, the prefix EAS direct-mode
clients use when they call an instance without the gateway):
  GET  /v1/models
  POST /v1/chat/completions  {"model", "messages", "stream", "max_tokens", "stream_options"}
  GET  /health

Environment:
  PORT             port to listen on (default 8000)
  MODEL_NAME       the one model served (default "pier-echo")
  STREAM_DELAY_MS  pause between streamed chunks (default 30)
  PIER_SERVICE, PIER_INSTANCE  set by Pier; the instance is the system_fingerprint

SIGTERM/SIGINT: stop accepting, let in-flight requests and streams finish (25 s
at most), exit 0.
"""

import json
import os
import re
import signal
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODEL = os.environ.get("MODEL_NAME", "pier-echo")
STREAM_DELAY = float(os.environ.get("STREAM_DELAY_MS", "30") or 0) / 1000.0
MAX_BODY_BYTES = 1 << 20
DRAIN_SECONDS = 25.0
PREFIX_RE = re.compile(r"^/api/predict/[^/?#]+")
CREATED = int(time.time())


def log(msg):
    print(f"{time.strftime('%Y-%m-%dT%H:%M:%S')} {msg}", flush=True)


class ApiError(Exception):
    """An OpenAI-style error: {"error": {"message", "type", "param", "code"}}."""

    def __init__(self, status, message, param=None, kind="invalid_request_error", code=None):
        super().__init__(message)
        self.status, self.param, self.kind, self.code = status, param, kind, code


def text_of(content):
    """A message's content: a string, or a list of {"type": "text", "text": ...} parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return ""


def parse_chat(body):
    try:
        req = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ApiError(400, f"body is not valid JSON: {e}")
    if not isinstance(req, dict):
        raise ApiError(400, "body must be a JSON object")
    if req.get("model", MODEL) != MODEL:
        raise ApiError(404, f"model {req.get('model')!r} does not exist; this server has {MODEL!r}",
                       param="model", code="model_not_found")
    messages = req.get("messages")
    if not isinstance(messages, list) or not messages:
        raise ApiError(400, '"messages" must be a non-empty list of {"role", "content"}', param="messages")
    for i, m in enumerate(messages):
        if not isinstance(m, dict) or not isinstance(m.get("role"), str):
            raise ApiError(400, f"messages[{i}] must be an object with a string \"role\"", param=f"messages[{i}]")
    max_tokens = req.get("max_completion_tokens", req.get("max_tokens"))
    if max_tokens is not None and (isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or max_tokens < 1):
        raise ApiError(400, f"max_tokens must be a positive integer, got {json.dumps(max_tokens)}", param="max_tokens")
    return req, messages, max_tokens


def complete(messages, max_tokens):
    """The echo "model": (tokens, finish_reason, prompt_tokens)."""
    users = [text_of(m.get("content")) for m in messages if m.get("role") == "user"]
    tokens = re.findall(r"\S+\s*", "You said: " + (users[-1] if users else ""))
    prompt_tokens = sum(len(text_of(m.get("content")).split()) for m in messages)
    if max_tokens is not None and len(tokens) > max_tokens:
        return tokens[:max_tokens], "length", prompt_tokens
    return tokens, "stop", prompt_tokens


class State:
    def __init__(self):
        self.draining = False
        self.in_flight = 0
        self.cond = threading.Condition()

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


STATE = State()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive for the gateway; streams use chunked encoding
    server_version = "openai-compatible/1.0"
    timeout = 60  # idle keep-alive connections
    # Headers and body go out in separate writes; without TCP_NODELAY, Nagle's
    # algorithm holds the body back until the peer's delayed ACK (~40 ms per answer).
    disable_nagle_algorithm = True

    def routes(self):
        """(method, path) -> handler; a subclass may add its own."""
        return {
            ("GET", "/health"): lambda: self.send_text(200, "ok\n"),
            ("GET", "/v1/models"): self.models,
            ("POST", "/v1/chat/completions"): self.chat,
        }

    def pause(self, index):
        """Called before streamed chunk `index` (from 1): the model "thinking"."""
        if STREAM_DELAY > 0:
            time.sleep(STREAM_DELAY)

    # ---------------------------------------------------------------- routes

    def models(self):
        self.send_json(200, {"object": "list", "data": [
            {"id": MODEL, "object": "model", "created": CREATED, "owned_by": "pier"}]})

    def chat(self):
        req, messages, max_tokens = parse_chat(self.read_body())
        tokens, finish, prompt_tokens = complete(messages, max_tokens)
        usage = {"prompt_tokens": prompt_tokens, "completion_tokens": len(tokens),
                 "total_tokens": prompt_tokens + len(tokens)}
        base = {"id": f"chatcmpl-{uuid.uuid4().hex[:24]}", "created": int(time.time()), "model": MODEL,
                "system_fingerprint": os.environ.get("PIER_INSTANCE") or "local"}
        if not req.get("stream"):
            message = {"role": "assistant", "content": "".join(tokens)}
            return self.send_json(200, {**base, "object": "chat.completion", "usage": usage, "choices": [
                {"index": 0, "message": message, "finish_reason": finish, "logprobs": None}]})

        def chunk(delta, finish_reason=None, **extra):
            return {**base, "object": "chat.completion.chunk", "choices": [
                {"index": 0, "delta": delta, "finish_reason": finish_reason, "logprobs": None}], **extra}

        self.start_stream()
        self.event(chunk({"role": "assistant", "content": ""}))
        for i, token in enumerate(tokens):
            self.pause(i + 1)
            self.event(chunk({"content": token}))
        self.event(chunk({}, finish))
        if (req.get("stream_options") or {}).get("include_usage"):
            self.event({**chunk({}), "choices": [], "usage": usage})
        self.event("[DONE]")
        self.wfile.write(b"0\r\n\r\n")

    # ---------------------------------------------------------------- HTTP

    def send_json(self, status, doc):
        self.send_bytes(status, (json.dumps(doc) + "\n").encode(), "application/json")

    def send_text(self, status, text):
        self.send_bytes(status, text.encode(), "text/plain; charset=utf-8")

    def send_bytes(self, status, data, content_type):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        if STATE.draining:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def start_stream(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def event(self, data):
        """One SSE event as one HTTP chunk, flushed at once (wfile is unbuffered)."""
        payload = ("data: " + (data if isinstance(data, str) else json.dumps(data)) + "\n\n").encode()
        self.wfile.write(b"%x\r\n%s\r\n" % (len(payload), payload))
        self.wfile.flush()

    def read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self.close_connection = True
            raise ApiError(411, "chunked request bodies are not supported; send Content-Length")
        try:
            length = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            self.close_connection = True
            raise ApiError(400, "Content-Length is not a number")
        if length < 0 or length > MAX_BODY_BYTES:
            self.close_connection = True
            raise ApiError(413, f"body of {length} bytes; at most {MAX_BODY_BYTES}")
        return self.rfile.read(length)

    def handle_any(self):
        STATE.enter()
        self._t0 = time.monotonic()
        path = self.path.split("?", 1)[0]
        m = PREFIX_RE.match(path)
        path = (path[m.end():] if m else path) or "/"
        method = "GET" if self.command == "HEAD" else self.command
        try:
            routes = self.routes()
            handler = routes.get((method, path))
            if handler is None:
                allowed = sorted(meth for (meth, p) in routes if p == path)
                if allowed:
                    raise ApiError(405, f"{self.command} not allowed on {path}; use {', '.join(allowed)}")
                raise ApiError(404, f"no route {path}; try GET /v1/models, POST /v1/chat/completions",
                               code="not_found")
            handler()
        except ApiError as e:
            self.send_json(e.status, {"error": {"message": str(e), "type": e.kind, "param": e.param, "code": e.code}})
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        finally:
            STATE.leave()

    do_GET = do_POST = do_HEAD = do_PUT = do_DELETE = do_PATCH = handle_any

    def log_request(self, code="-", size="-"):
        ms = (time.monotonic() - getattr(self, "_t0", time.monotonic())) * 1000
        log(f"{self.client_address[0]} {self.command} {self.path} {code} {ms:.1f}ms")

    def log_message(self, fmt, *args):  # errors from http.server itself
        log(fmt % args)


def serve(handler=Handler):
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda signum, _f: (log(f"received {signal.Signals(signum).name}; draining"), stop.set()))
    port = int(os.environ.get("PORT", "8000"))
    try:
        server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    except OSError as e:
        log(f"cannot listen on 127.0.0.1:{port}: {e}")
        return 1
    server.daemon_threads = True  # idle keep-alive threads must not block exit
    threading.Thread(target=server.serve_forever, name="http", daemon=True).start()
    log(f"listening on http://127.0.0.1:{port} model={MODEL} service={os.environ.get('PIER_SERVICE')} "
        f"instance={os.environ.get('PIER_INSTANCE')}")
    while not stop.wait(1.0):
        pass
    STATE.draining = True
    server.shutdown()
    server.server_close()
    if STATE.wait_idle(DRAIN_SECONDS):
        log("in-flight requests finished; exiting")
    else:
        log(f"{STATE.in_flight} request(s) still running after {DRAIN_SECONDS:g}s; exiting")
    return 0


if __name__ == "__main__":
    sys.exit(serve())
