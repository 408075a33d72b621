# A direct answer to moto's most frequent DynamoDB call; read before emulator.py, which puts it
# in front of moto (the launcher is the files joined).
import base64
import binascii
import io
import json as _json
import os as _os

PLAIN_JSON = (str, int, float, bool, type(None))


def is_plain_json(value):
    """Whether `value` holds only what `json.dumps` writes as moto's serializer would (no bytes,
    no times)."""
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, dict):
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)
        elif not isinstance(v, PLAIN_JSON):
            return False
    return True


class DirectGetItem:
    """moto answers a GetItem through its whole generic path: Flask's request and response
    objects, CORS headers, the operation's botocore model to parse the body, a 52-character
    random request id drawn one character at a time, and more; about 1.5 ms of the one
    interpreter's time for a dictionary lookup, which every authenticated API request pays (the
    gate reads the owner's standing). A plain GetItem (a table, a whole key, no projection) is
    answered here from moto's own backend and table, with moto's answer: the item as moto
    stores it, written as DynamoDB's JSON, and the headers DynamoDB sends. Anything else, and
    anything this path would answer differently (a missing table, a key that does not fit the
    schema, binary values), goes the generic way, which also writes every error: a read changes
    nothing, so handing it on costs only time."""

    TARGET = "DynamoDB_20120810.GetItem"
    PLAIN_REQUEST = frozenset({"TableName", "Key", "ConsistentRead", "ReturnConsumedCapacity"})
    KEY_TYPES = frozenset({"S", "N", "B"})

    def __init__(self, app):
        from moto.core.responses import BaseResponse
        from moto.dynamodb.models import dynamodb_backends
        from moto.iam.models import get_account_id_from

        self.app = app
        self.backends = dynamodb_backends
        self.account_of_key = get_account_id_from
        self.region_in_url = BaseResponse.region_regex
        self.region_in_agent = BaseResponse.region_from_useragent_regex
        self.access_key_in = BaseResponse.access_key_regex

    def __call__(self, environ, start_response):
        if (
            environ.get("HTTP_X_AMZ_TARGET") != self.TARGET
            or environ.get("REQUEST_METHOD") != "POST"
            or environ.get("HTTP_CONTENT_ENCODING")
            or not environ.get("CONTENT_LENGTH", "").isdigit()
        ):
            return self.app(environ, start_response)
        body = environ["wsgi.input"].read(int(environ["CONTENT_LENGTH"]))
        try:
            answer = self.answer(environ, body)
        # Whatever this path cannot answer as moto would, moto answers (and words the error).
        except Exception:
            answer = None
        if answer is None:
            environ["wsgi.input"] = io.BytesIO(body)
            return self.app(environ, start_response)
        start_response(
            "200 OK",
            [
                ("Content-Type", "application/x-amz-json-1.0"),
                ("Content-Length", str(len(answer))),
                ("x-amzn-requestid", base64.b32encode(_os.urandom(32)).decode()[:52]),
                ("x-amz-crc32", str(binascii.crc32(answer))),
                ("server", "amazon.com"),
            ],
        )
        return [answer]

    def region(self, environ):
        """As moto finds it: the URL's host, the user agent, the signature's scope, else its
        default."""
        url = environ.get("HTTP_HOST", "") + environ.get("PATH_INFO", "")
        found = self.region_in_url.search(url) or self.region_in_agent.search(
            environ.get("HTTP_USER_AGENT", "")
        )
        if found:
            return found.group(1)
        auth = environ.get("HTTP_AUTHORIZATION", "")
        if "AWS4" in auth:
            return auth.split(",")[0].split("/")[2]
        return "us-east-1"

    def account(self, environ):
        """As moto finds it: MOTO_ACCOUNT_ID, the request's account header, else the access
        key's account."""
        if "MOTO_ACCOUNT_ID" in _os.environ:
            return _os.environ["MOTO_ACCOUNT_ID"]
        if "HTTP_X_MOTO_ACCOUNT_ID" in environ:
            return environ["HTTP_X_MOTO_ACCOUNT_ID"]
        found = self.access_key_in.search(environ.get("HTTP_AUTHORIZATION", ""))
        return self.account_of_key(found.group(1) if found else "AKIAEXAMPLE")

    def answer(self, environ, body):
        """The answer's bytes, or None to leave the request to moto."""
        from moto.dynamodb.models.utilities import dynamo_to_dict

        request = _json.loads(body)
        if not isinstance(request, dict) or not set(request) <= self.PLAIN_REQUEST:
            return None
        if request.get("ReturnConsumedCapacity", "NONE") != "NONE":
            return None
        name, key = request.get("TableName"), request.get("Key")
        if not isinstance(name, str) or not isinstance(key, dict) or not key:
            return None
        for value in key.values():
            if not isinstance(value, dict) or len(value) != 1:
                return None
            ((kind, raw),) = value.items()
            if kind not in self.KEY_TYPES or not isinstance(raw, str) or not raw:
                return None
        backend = self.backends[self.account(environ)][self.region(environ)]
        table = backend.tables.get(name)
        if table is None or set(key) != set(table.table_key_attrs):
            return None
        item = backend.get_item(name, key, None)
        result = {"Item": item.describe_attrs(attributes=None)["Item"]} if item else {}
        result = dynamo_to_dict(result)
        if not is_plain_json(result):
            return None
        return _json.dumps(result, separators=(",", ":")).encode()
