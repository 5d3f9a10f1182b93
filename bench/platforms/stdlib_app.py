"""The model behind Python's standard library HTTP server (what many EAS processors are).

ThreadingHTTPServer with HTTP/1.1 keep-alive on 127.0.0.1:$PORT. POST to any path
predicts; GET /health answers 200.
"""

import json
import os
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model import predict  # noqa: E402


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body in one send: with the default unbuffered writer they go out as
    # two segments and Nagle's algorithm holds the second until the peer's delayed ACK
    # (about 40 ms on Linux) on a keep-alive connection. handle_one_request flushes.
    wbufsize = -1
    disable_nagle_algorithm = True

    def _send(self, status, body):
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        self._send(200, b'{"ok":true}')

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        try:
            out = predict(json.loads(self.rfile.read(length)))
        except (ValueError, KeyError, TypeError) as e:
            self._send(400, json.dumps({"error": str(e)}).encode())
            return
        self._send(200, json.dumps(out).encode())

    def log_message(self, *args):
        pass  # no access log, as for every other target in this benchmark


server = ThreadingHTTPServer(("127.0.0.1", int(os.environ.get("PORT", "8000"))), Handler)
server.daemon_threads = True
signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
server.serve_forever()
