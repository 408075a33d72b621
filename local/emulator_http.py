# The emulator's HTTP side: kept-alive connections and no access log; read before emulator.py,
# which serves moto with them (the launcher is the files joined).
from moto.moto_server.werkzeug_app import MotoRequestHandler
from werkzeug.wsgi import LimitedStream

CLOSE_AFTER = "dropgate.close_after"


def keep_connections_alive():
    """werkzeug's development server closes the connection after every response, so each AWS
    call of every function paid a TCP connection and a new server thread (about a third of a
    GetItem's time). It does so because, after each response, it reads whatever the socket
    holds, to spare a client that sent too much a reset, and on a kept connection that would
    swallow the next request. `QuietHandler` reads exactly what the request declared instead;
    this turns the blind read off (its selector is the only use of `selectors` in
    werkzeug.serving)."""
    import werkzeug.serving as serving

    class NothingLeft:
        EVENT_READ = 1

        class DefaultSelector:
            def register(self, *args, **kwargs):
                pass

            def select(self, timeout=None):
                return []

            def close(self):
                pass

    serving.selectors = NothingLeft


class BodyMatchesLength:
    """Marks a response whose body is not the length its `Content-Length` says (or a HEAD's
    that has one): the client reads the length it was told, so the rest would be taken for the
    next response on a kept connection. Such a connection is closed after the response."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        declared = []

        def start(status, headers, exc_info=None):
            declared[:] = [int(v) for k, v in headers if k.lower() == "content-length"]
            return start_response(status, headers, exc_info)

        result = self.app(environ, start)

        def counted():
            sent = 0
            try:
                for chunk in result:
                    sent += len(chunk)
                    yield chunk
            finally:
                if hasattr(result, "close"):
                    result.close()
                head = environ.get("REQUEST_METHOD") == "HEAD"
                if (head and sent) or (not head and declared and declared[0] != sent):
                    environ[CLOSE_AFTER] = True

        return counted()


class QuietHandler(MotoRequestHandler):
    """moto's handler on kept-alive connections, without an access log (nobody reads it, and a
    line per request costs the one interpreter lock every request needs)."""

    # Headers and body are two writes: with Nagle's algorithm the second waits for the
    # client's delayed acknowledgement of the first (40 ms) on a kept connection.
    disable_nagle_algorithm = True

    def log_request(self, code="-", size="-"):
        pass

    def make_environ(self):
        environ = super().make_environ()
        if not environ.get("wsgi.input_terminated"):
            # A request without a length has no body (HTTP/1.1); what the app leaves unread of
            # one with a length is read after the response, not taken for the next request.
            length = environ.get("CONTENT_LENGTH", "")
            environ["wsgi.input"] = LimitedStream(
                self.rfile, int(length) if length.isdigit() else 0
            )
        return environ

    def send_header(self, keyword, value):
        # werkzeug asks to close every connection; it is said (and done) only when the client
        # asked to close (parse_request reads that into close_connection).
        if (
            keyword.lower() == "connection"
            and value.lower() == "close"
            and not self.close_connection
        ):
            return
        super().send_header(keyword, value)

    def run_wsgi(self):
        self.environ = None
        super().run_wsgi()
        environ = getattr(self, "environ", None)
        if environ is None or environ.get(CLOSE_AFTER):
            self.close_connection = True
            return
        try:
            body = environ["wsgi.input"]
            if isinstance(body, LimitedStream):
                body.exhaust()
            else:
                while body.read(65536):
                    pass
        # A client gone mid-body, or one that sent less than it declared.
        except Exception:
            self.close_connection = True
