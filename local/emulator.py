"""Starts moto server on a free loopback port for Dropgate's local stack and tests.

Prints one line, {"port": N}, once it listens. Exits when its standard input closes, so the
emulator never outlives the process that started it, even one killed with SIGKILL.

DynamoDB requests (and DynamoDB Streams reads) are serialized: moto's DynamoDB applies conditional writes and transactions
without locking, while the real service is atomic per request. Everything else stays threaded
(SQS long polling must not block other calls).
"""

import json
import os
import re
import sys
import threading
from collections import defaultdict

from werkzeug.serving import make_server

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app


def mend_list_parts():
    """moto 5.2 answers ListParts with a <ListPartsResponse> root; S3's is <ListPartsResult>,
    and the Rust SDK refuses any other, so every ListParts would fail to parse."""
    from moto.s3.responses import S3Response

    original = S3Response.list_parts

    def list_parts(self):
        status, headers, body = original(self)
        if isinstance(body, bytes):
            body = body.replace(b"ListPartsResponse", b"ListPartsResult")
        else:
            body = body.replace("ListPartsResponse", "ListPartsResult")
        return status, headers, body

    S3Response.list_parts = list_parts


def mend_query_reads_one_partition():
    """moto's Query without an index reads and sorts every item of the table to keep one
    partition's; DynamoDB reads that partition only. Handing moto the partition alone keeps
    its answers and makes a query cost what it costs in AWS, in proportion to its partition
    rather than the table (the audit log's pages, partitioned by seq, depend on it)."""
    from moto.dynamodb.models.table import Table

    original = Table.query

    def query(self, hash_key, *args, **kwargs):
        index_name = args[6] if len(args) > 6 else kwargs.get("index_name")
        if index_name or hash_key is None or not self.range_key_attr:
            return original(self, hash_key, *args, **kwargs)
        partition = sorted(
            self.items.get(hash_key, {}).values(), key=lambda item: item.range_key
        )
        self.all_items = lambda: partition
        try:
            return original(self, hash_key, *args, **kwargs)
        finally:
            del self.all_items

    Table.query = query


def mend_transactions_back_up_their_items():
    """moto backs up a transaction by deep-copying each table it touches (once per item), so a
    transaction costs in proportion to the tables' sizes, seconds on a long audit log; DynamoDB's
    costs in proportion to its items. Back up only the items it names, and where each table's
    stream ended, and put those back when it is cancelled: the same outcome, at the cost of the
    transaction."""
    import copy

    import moto.dynamodb.models as models
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.models.table import Table

    class TablesUncopied:
        """`copy` for the original: tables pass through (the items are backed up here)."""

        @staticmethod
        def deepcopy(value, *args, **kwargs):
            if isinstance(value, Table):
                return value
            return copy.deepcopy(value, *args, **kwargs)

    original = models.DynamoDBBackend.transact_write_items

    def backups_of(backend, transact_items):
        items, streams = [], {}
        for entry in transact_items:
            try:
                _, op = next(iter(entry.items()))
                table = backend.tables.get(op.get("TableName"))
                raw = op.get("Key") or op.get("Item") or {}
                hash_key = DynamoType(raw[table.hash_key_attr])
                range_key = (
                    DynamoType(raw[table.range_key_attr]) if table.range_key_attr else None
                )
            except (StopIteration, KeyError, TypeError, AttributeError):
                continue  # a malformed entry: the original refuses it before any write
            if range_key is None:
                current = table.items.get(hash_key)
            else:
                current = table.items.get(hash_key, {}).get(range_key)
            items.append((table, hash_key, range_key, copy.deepcopy(current)))
            if table.stream_shard is not None and table.name not in streams:
                streams[table.name] = (table, len(table.stream_shard.items))
        return items, streams

    def restore(items, streams):
        for table, hash_key, range_key, item in reversed(items):
            if range_key is None:
                if item is None:
                    table.items.pop(hash_key, None)
                else:
                    table.items[hash_key] = item
                continue
            partition = table.items[hash_key]
            if item is None:
                partition.pop(range_key, None)
                if not partition:
                    table.items.pop(hash_key, None)
            else:
                partition[range_key] = item
        for table, length in streams.values():
            del table.stream_shard.items[length:]

    def transact_write_items(self, transact_items):
        items, streams = backups_of(self, transact_items)
        models.copy = TablesUncopied
        try:
            return original(self, transact_items)
        except Exception:
            restore(items, streams)
            raise
        finally:
            models.copy = copy

    models.DynamoDBBackend.transact_write_items = transact_write_items


def mend_item_reads_answer_as_json():
    """moto 5.2 writes every DynamoDB answer through its generic response serializer, which
    walks the operation's output shape value by value with alias lookups: about 2.5 ms of CPU
    per item read, so a Query of 1000 items (an audit export's page) costs about 3 s, the SDK's
    whole budget for an attempt, and more than it on a busy machine (the `503` of the first
    page of a 100,000-entry export). An item read's answer is already DynamoDB's JSON (moto
    builds it as `{type: value}` maps): written with `json.dumps` it is the same document. Only
    for Query, Scan, GetItem and BatchGetItem, and only when the answer holds nothing the
    serializer would encode (bytes, times) or leave out (a key its shape does not name);
    anything else takes moto's way."""
    from moto.dynamodb.responses import DynamoResult

    original = DynamoResult.execute_result
    reads = {"Query", "Scan", "GetItem", "BatchGetItem"}

    def execute_result(self, context):
        operation = context.operation_model
        shape = operation.output_shape
        result = self.result
        if (
            operation.name in reads
            and shape is not None
            and isinstance(result, dict)
            and set(result) <= set(shape.members)
            and is_plain_json(result)
        ):
            version = context.service_model.metadata.get("jsonVersion", "1.0")
            headers = {"Content-Type": f"application/x-amz-json-{version}"}
            return 200, headers, json.dumps(result, separators=(",", ":"))
        return original(self, context)

    DynamoResult.execute_result = execute_result


def mend_complete_unknown_upload():
    """moto 5.2 fails with a 500 (a KeyError) to complete an upload it does not know (aborted,
    or completed by a racing request); S3 answers 404 NoSuchUpload, which the API maps to
    `upload_gone`."""
    from moto.s3.exceptions import NoSuchUpload
    from moto.s3.models import S3Backend

    original = S3Backend.complete_multipart_upload

    def complete_multipart_upload(self, bucket_name, multipart_id, body):
        if multipart_id not in self.get_bucket(bucket_name).multiparts:
            raise NoSuchUpload(upload_id=multipart_id)
        return original(self, bucket_name, multipart_id, body)

    S3Backend.complete_multipart_upload = complete_multipart_upload


def mend_key_status():
    """moto 5.2's /moto-api/data.json reads the `status` of every S3 key it ever made, and that
    read looks up the key's bucket, which the parts of a completed multipart upload do not
    resolve to: the whole state (the sent mail tests read) is a 500 until they are collected."""
    from moto.s3.exceptions import MissingBucket
    from moto.s3.models import FakeKey

    original = FakeKey.status

    def status(self):
        try:
            return original.fget(self)
        except MissingBucket:
            return self._status

    FakeKey.status = property(status, original.fset)


def mend_model_data():
    """moto 5.2's /moto-api/data.json (where tests read sent mail) leaves out an attribute that
    is not JSON, but lets any other exception a model's property raises (a key's lookup of a
    bucket it has none of, a closed buffer) fail the whole state with a 500; and it copies every
    S3 object's bytes, which are never JSON, to find that out. Here an attribute that cannot be
    read is left out like one that is not JSON, and object bytes are never read."""
    from moto.core.model_instances import model_data
    from moto.moto_api._internal.responses import MotoAPIResponse
    from moto.s3.models import FakeKey

    def readable(instance, attr):
        if isinstance(instance, FakeKey) and attr == "value":
            return None
        try:
            # A copy as JSON: a request running meanwhile cannot change it before the answer.
            return (json.loads(json.dumps(getattr(instance, attr))),)
        # Whatever one property raises, only that attribute is left out.
        except Exception:
            return None

    def state(self, request, full_url, headers):
        results = {}
        for service in sorted(model_data):
            models = model_data[service]
            results[service] = {}
            for name in sorted(models):
                instances = []
                # A copy: requests running meanwhile may track new instances.
                for instance in list(models[name].instances_tracked):
                    shown = {}
                    for attr in dir(instance):
                        if attr.startswith("_"):
                            continue
                        found = readable(instance, attr)
                        if found is not None:
                            shown[attr] = found[0]
                    instances.append(shown)
                results[service][name] = instances
        return 200, {"Content-Type": "application/javascript"}, json.dumps(results)

    MotoAPIResponse.model_data = state


def mend_form_typed_puts():
    """S3 stores the bytes of a PUT (an object, a part) whatever its Content-Type; curl's
    --data-binary and Python's urllib send application/x-www-form-urlencoded by default. moto
    5.2 reads such a body as a form: its dispatcher consumes an unsigned request's body to look
    for an `Action` (and loses it when it is not UTF-8), and S3's request setup takes the form's
    fields for the query, so a part PUT loses its uploadId and partNumber (a 500) and an object
    PUT its bytes. Query-protocol calls, the only ones with a form body, are POSTs: a PUT's body
    is kept as bytes."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication
    from moto.s3.responses import S3Response
    from werkzeug.datastructures import ImmutableMultiDict

    original_body = DomainDispatcherApplication._get_body

    def _get_body(self, environ):
        if environ.get("REQUEST_METHOD") != "POST":
            return None
        return original_body(self, environ)

    DomainDispatcherApplication._get_body = _get_body

    original_setup = S3Response.setup_class

    def setup_class(self, request, full_url=None, headers=None):
        if request.method == "PUT" and "form" not in request.__dict__:
            # The bytes as sent, cached before anything parses them; no form fields.
            request.get_data()
            request.__dict__["form"] = ImmutableMultiDict()
            request.__dict__["files"] = ImmutableMultiDict()
        return original_setup(self, request, full_url, headers)

    S3Response.setup_class = setup_class


def cache_module_list():
    """moto's dispatcher lists its own package directory (a stat per service, about 150) on
    every request to find the backend; the list cannot change while the server runs."""
    from moto import backends

    modules = list(backends.list_of_moto_modules())
    backends.list_of_moto_modules = lambda: modules


def cache_method_names():
    """moto lists a response class's methods (inspect.getmembers over the whole class) on every
    request to check that the action exists: about 0.2 ms a call. Classes do not change while
    the server runs."""
    import functools

    import moto.core.responses as responses

    names = responses.method_names_from_class
    responses.method_names_from_class = functools.lru_cache(maxsize=None)(
        lambda clazz: frozenset(names(clazz))
    )


class SerializeDynamoDB:
    def __init__(self, app):
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        # Stream reads too: a read in the middle of a transaction that moto later rolls back
        # would see records of writes that never happened.
        if target.startswith(("DynamoDB_", "DynamoDBStreams_")):
            with self.lock:
                # Materialize the body inside the lock: moto works lazily on iteration.
                return list(self.app(environ, start_response))
        return self.app(environ, start_response)


class CallStats:
    """Counts AWS calls per calling function (the `app/<name>` in the SDK's user agent) and
    service.operation, and the bytes S3 GETs returned to each: `GET /_dropgate/stats` reads
    them, `POST /_dropgate/stats` reads and resets. For benchmarks; costs nothing otherwise."""

    APP = re.compile(r"app/([A-Za-z0-9._-]+)")
    SERVICE = re.compile(r"Credential=[^/]+/[^/]+/[^/]+/([^/]+)/")

    def __init__(self, app):
        self.app = app
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        self.calls = defaultdict(lambda: defaultdict(int))
        self.s3_get_bytes = defaultdict(int)

    def snapshot(self):
        return {
            "calls": {a: dict(ops) for a, ops in self.calls.items()},
            "s3_get_bytes": dict(self.s3_get_bytes),
        }

    def __call__(self, environ, start_response):
        method = environ.get("REQUEST_METHOD", "")
        if environ.get("PATH_INFO") == "/_dropgate/stats":
            with self.lock:
                body = json.dumps(self.snapshot()).encode()
                if method == "POST":
                    self.reset()
            start_response("200 OK", [("Content-Type", "application/json")])
            return [body]
        agent = environ.get("HTTP_USER_AGENT", "") + " " + environ.get("HTTP_X_AMZ_USER_AGENT", "")
        found = self.APP.search(agent)
        query = environ.get("QUERY_STRING", "")
        if found:
            caller = found.group(1)
            scope = self.SERVICE.search(environ.get("HTTP_AUTHORIZATION", ""))
            service = scope.group(1) if scope else "unsigned"
            target = environ.get("HTTP_X_AMZ_TARGET", "")
            op = target.rsplit(".", 1)[-1] if target else method
        elif "X-Amz-Signature=" in query:
            # A client using a presigned URL (a browser, the CLI): counted as `presigned`, so
            # tests can tell how many parts a resumed upload sent.
            caller, service = "presigned", "s3"
            op = "UploadPart" if method == "PUT" and "partNumber=" in query else method
        else:
            return self.app(environ, start_response)
        with self.lock:
            self.calls[caller][f"{service}.{op}"] += 1
        result = self.app(environ, start_response)
        if service != "s3" or method != "GET":
            return result

        def counted():
            n = 0
            try:
                for chunk in result:
                    n += len(chunk)
                    yield chunk
            finally:
                with self.lock:
                    self.s3_get_bytes[caller] += n
                if hasattr(result, "close"):
                    result.close()

        return counted()


def main():
    mend_list_parts()
    mend_query_reads_one_partition()
    mend_transactions_back_up_their_items()
    mend_item_reads_answer_as_json()
    mend_complete_unknown_upload()
    mend_key_status()
    mend_model_data()
    mend_form_typed_puts()
    add_revoke_token()
    mend_confirm_verifies_email()
    mend_attribute_updates()
    mend_forgot_password()
    mend_id_token_email()
    mend_token_owner()
    mend_totp_sessions()
    mend_totp_association()
    cache_module_list()
    cache_method_names()
    keep_connections_alive()
    host = sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1"
    app = DomainDispatcherApplication(create_backend_app)
    server = make_server(
        host,
        0,
        BodyMatchesLength(CallStats(SerializeDynamoDB(DirectGetItem(app)))),
        threaded=True,
        request_handler=QuietHandler,
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
