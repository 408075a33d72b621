"""Starts moto server on a free loopback port for Dropgate's local stack and tests.

Prints one line, {"port": N}, once it listens. Exits when its standard input closes, so the
emulator never outlives the process that started it, even one killed with SIGKILL.

DynamoDB requests are serialized: moto's DynamoDB applies conditional writes and transactions
without locking, while the real service is atomic per request. Everything else stays threaded
(SQS long polling must not block other calls).
"""

import json
import os
import sys
import threading

from werkzeug.serving import make_server

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)


class SerializeDynamoDB:
    def __init__(self, app):
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if target.startswith("DynamoDB_"):
            with self.lock:
                # Materialize the body inside the lock: moto works lazily on iteration.
                return list(self.app(environ, start_response))
        return self.app(environ, start_response)


def main():
    host = sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1"
    app = DomainDispatcherApplication(create_backend_app)
    server = make_server(
        host,
        0,
        SerializeDynamoDB(app),
        threaded=True,
        request_handler=MotoRequestHandler,
    )
    os.environ["MOTO_PORT"] = str(server.server_port)

    def watch_stdin():
        try:
            while sys.stdin.buffer.read(1024):
                pass
        finally:
            os._exit(0)

    threading.Thread(target=watch_stdin, daemon=True).start()
    print(json.dumps({"port": server.server_port}), flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
