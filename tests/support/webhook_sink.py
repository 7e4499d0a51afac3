"""An HTTP listener on loopback that records what webhooks POST to it.

    webhook_sink.py PORT FILE [FAIL_FIRST]

Each request is one JSON line in FILE: {"path", "headers", "body"}; the
first FAIL_FIRST requests are answered 500, the others 200. Runs until
killed.
"""
import json
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

port, out = int(sys.argv[1]), sys.argv[2]
fail_first = int(sys.argv[3]) if len(sys.argv) > 3 else 0
seen = 0


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        global seen
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with open(out, "a") as f:
            f.write(json.dumps({"path": self.path, "headers": dict(self.headers),
                                "body": body.decode()}) + "\n")
        seen += 1
        status = 500 if seen <= fail_first else 200
        self.send_response(status)
        self.end_headers()
        self.wfile.write(b"refused on purpose\n" if status == 500 else b"ok\n")

    def log_message(self, *args):
        pass


HTTPServer(("127.0.0.1", port), Handler).serve_forever()
