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

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)


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


def add_revoke_token():
    """moto 5.2 has no RevokeToken (a logout ends a session with it). As Cognito does: the
    refresh token, issued to that app client, refreshes nothing afterwards; a token that is
    unknown, already revoked or another client's is left as it is, and the answer is the same
    empty 200 (the API treats every refusal of the token itself as nothing to revoke)."""
    from moto.cognitoidp.models import cognitoidp_backends
    from moto.cognitoidp.responses import CognitoIdpResponse
    from moto.core.responses import ActionResult

    def revoke_token(self):
        client_id = self._get_param("ClientId")
        token = self._get_param("Token")
        for account in cognitoidp_backends.values():
            for backend in account.values():
                for pool in backend.user_pools.values():
                    issued = pool.refresh_tokens.get(token)
                    if client_id in pool.clients and issued and issued[0] == client_id:
                        pool.refresh_tokens[token] = None
        return ActionResult({})

    CognitoIdpResponse.revoke_token = revoke_token


def _cognito_mail(pool, to, subject, body):
    """Cognito's mail, sent as the pool's `EmailConfiguration` sender through the emulator's
    SES (so tests read it at /moto-api/data.json like the stack's own mail). moto 5.2 sends
    none: its codes are only in a response header, or nowhere."""
    from moto.cognitoidp.models import cognitoidp_backends
    from moto.ses.models import Message, ses_backends
    from moto.ses.utils import get_random_message_id

    sender = (pool.extended_config.get("EmailConfiguration") or {}).get(
        "From", "no-reply@verificationemail.com"
    )
    for account, regions in cognitoidp_backends.items():
        for region, backend in regions.items():
            if backend.user_pools.get(pool.id) is pool:
                ses = ses_backends[account][region]
                ses.sent_messages.append(
                    Message(get_random_message_id(), sender, subject, body, {"ToAddresses": [to]})
                )
                ses.sent_message_count += 1
                return


def _new_code():
    import secrets

    return f"{secrets.randbelow(1_000_000):06d}"


def _pool_of_client(backend, client_id):
    return next((p for p in backend.user_pools.values() if client_id in p.clients), None)


def _pool_of_access_token(backend, token):
    return next((p for p in backend.user_pools.values() if token in p.access_tokens), None)


def mend_confirm_verifies_email():
    """moto 5.2 confirms a sign-up without marking its address verified; Cognito sets
    `email_verified` when the pool auto-verifies email (the code proved the address; an admin
    confirmation is the operator's word). Dropgate mails only a verified address."""
    from moto.cognitoidp.models import CognitoIdpBackend

    def verified(pool, user):
        if user and "email" in user.attribute_lookup and "email" in pool.extended_config.get(
            "AutoVerifiedAttributes", []
        ):
            user.update_attributes([{"Name": "email_verified", "Value": "true"}])

    original_confirm = CognitoIdpBackend.confirm_sign_up
    original_admin = CognitoIdpBackend.admin_confirm_sign_up

    def confirm_sign_up(self, client_id, username):
        out = original_confirm(self, client_id, username)
        pool = _pool_of_client(self, client_id)
        verified(pool, pool._get_user(username))
        return out

    def admin_confirm_sign_up(self, user_pool_id, username):
        out = original_admin(self, user_pool_id, username)
        pool = self.describe_user_pool(user_pool_id)
        verified(pool, pool._get_user(username))
        return out

    CognitoIdpBackend.confirm_sign_up = confirm_sign_up
    CognitoIdpBackend.admin_confirm_sign_up = admin_confirm_sign_up


def mend_attribute_updates():
    """moto 5.2 lets an access token write any attribute and switches `email` at once. Cognito
    refuses an attribute outside the app client's `WriteAttributes`, and, for an attribute in
    the pool's `UserAttributeUpdateSettings.AttributesRequireVerificationBeforeUpdate`, keeps
    the old value until the code mailed to the new one is verified (`VerifyUserAttribute`,
    which moto lacks); an admin update that marks it verified in the same call applies at once."""
    from moto.cognitoidp.exceptions import (
        AliasExistsException,
        CodeMismatchException,
        NotAuthorizedError,
    )
    from moto.cognitoidp.models import CognitoIdpBackend, cognitoidp_backends
    from moto.cognitoidp.responses import CognitoIdpResponse
    from moto.core.responses import ActionResult

    def hold(pool, user, attributes):
        flat = {a["Name"]: a["Value"] for a in attributes}
        email = flat.get("email")
        if email is None or flat.get("email_verified") == "true":
            return attributes
        held = (pool.extended_config.get("UserAttributeUpdateSettings") or {}).get(
            "AttributesRequireVerificationBeforeUpdate", []
        )
        code = _new_code()
        user.dropgate_pending = {"email": (email, code)}
        _cognito_mail(pool, email, "Your verification code", f"Your verification code is {code}")
        if "email" in held:
            return [a for a in attributes if a["Name"] != "email"]
        return attributes + [{"Name": "email_verified", "Value": "false"}]

    original_update = CognitoIdpBackend.update_user_attributes
    original_admin = CognitoIdpBackend.admin_update_user_attributes

    def update_user_attributes(self, access_token, attributes):
        pool = _pool_of_access_token(self, access_token)
        if pool is None:
            raise NotAuthorizedError("Invalid token")
        client_id, username = pool.access_tokens[access_token]
        writable = pool.clients[client_id].extended_config.get("WriteAttributes")
        if writable is not None and any(a["Name"] not in writable for a in attributes):
            raise NotAuthorizedError("A client attempted to write unauthorized attribute")
        user = self.admin_get_user(pool.id, username)
        self._verify_email_is_not_used(pool.id, self._find_attr("email", attributes))
        return original_update(self, access_token, hold(pool, user, attributes))

    def admin_update_user_attributes(self, user_pool_id, username, attributes):
        pool = self.describe_user_pool(user_pool_id)
        user = self.admin_get_user(user_pool_id, username)
        self._verify_email_is_not_used(pool.id, self._find_attr("email", attributes))
        return original_admin(self, user_pool_id, username, hold(pool, user, attributes))

    def verify_user_attribute(self):
        token = self._get_param("AccessToken")
        name = self._get_param("AttributeName")
        code = self._get_param("Code")
        for regions in cognitoidp_backends.values():
            for backend in regions.values():
                pool = _pool_of_access_token(backend, token)
                if pool is None:
                    continue
                _, username = pool.access_tokens[token]
                user = backend.admin_get_user(pool.id, username)
                pending = getattr(user, "dropgate_pending", {}).get(name)
                if pending is None or pending[1] != code:
                    raise CodeMismatchException("Invalid verification code provided, please try again.")
                for other in pool.users.values():
                    if other is not user and other.attribute_lookup.get(name) == pending[0]:
                        raise AliasExistsException
                user.update_attributes(
                    [{"Name": name, "Value": pending[0]}, {"Name": f"{name}_verified", "Value": "true"}]
                )
                del user.dropgate_pending[name]
                return ActionResult({})
        raise NotAuthorizedError("Invalid token")

    CognitoIdpBackend.update_user_attributes = update_user_attributes
    CognitoIdpBackend.admin_update_user_attributes = admin_update_user_attributes
    CognitoIdpResponse.verify_user_attribute = verify_user_attribute


def mend_forgot_password():
    """moto 5.2 mails no `ForgotPassword` code (it is only in a response header, a leak no
    client may rely on) and accepts any code that lacks its own prefix. As Cognito: the code
    goes by mail to the verified address only, the header says nothing, and
    `ConfirmForgotPassword` takes only that code, once (an unknown user gets the same
    `CodeMismatchException`, as with `PreventUserExistenceErrors`)."""
    from moto.cognitoidp.exceptions import CodeMismatchException, ResourceNotFoundError
    from moto.cognitoidp.models import CognitoIdpBackend

    original = CognitoIdpBackend.forgot_password

    def forgot_password(self, client_id, username):
        _, response = original(self, client_id, username)
        pool = _pool_of_client(self, client_id)
        user = pool._get_user(username)
        if user is not None:
            user.confirmation_code = _new_code()
            email = user.attribute_lookup.get("email")
            if email and user.attribute_lookup.get("email_verified") == "true":
                _cognito_mail(
                    pool, email, "Your password reset code",
                    f"Your password reset code is {user.confirmation_code}",
                )
        return None, response

    def confirm_forgot_password(self, client_id, username, password, confirmation_code):
        pool = _pool_of_client(self, client_id)
        if pool is None:
            raise ResourceNotFoundError(client_id)
        user = pool._get_user(username)
        if user is None or not user.confirmation_code or user.confirmation_code != confirmation_code:
            raise CodeMismatchException("Invalid verification code provided, please try again.")
        self._validate_password(pool.id, password)
        user.password = password
        user.confirmation_code = None

    CognitoIdpBackend.forgot_password = forgot_password
    CognitoIdpBackend.confirm_forgot_password = confirm_forgot_password


def mend_id_token_email():
    """moto 5.2 writes the login name into an id token's `email` and leaves out
    `email_verified`; Cognito's id token carries the user's `email` attribute and whether it
    is verified (Dropgate mails only a verified address, and an address changed but not yet
    verified is not the `email` attribute at all)."""
    from moto.cognitoidp.models import CognitoIdpUserPool

    original = CognitoIdpUserPool.create_jwt

    def create_jwt(self, client_id, username, token_use, expires_in=60 * 60, extra_data=None):
        if token_use == "id":
            user = self._get_user(username)
            extra_data = dict(extra_data or {})
            if user is not None and "email" in user.attribute_lookup:
                extra_data["email"] = user.attribute_lookup["email"]
                extra_data["email_verified"] = (
                    user.attribute_lookup.get("email_verified") == "true"
                )
        return original(self, client_id, username, token_use, expires_in, extra_data)

    CognitoIdpUserPool.create_jwt = create_jwt


def mend_token_owner():
    """moto 5.2 files each token under the name the user logged in with (their email, here),
    so a token outlives nothing that Cognito ties to the user: after an email change it names
    nobody (its refresh is a 500), and a global sign-out by username misses it. Cognito ties a
    token to the user: here every token is filed under the user's username."""
    from moto.cognitoidp.models import CognitoIdpUserPool

    def canonical(pool, username):
        user = pool._get_user(username)
        return user.username if user is not None else username

    for name in ("create_refresh_token", "create_access_token", "create_id_token"):
        original = getattr(CognitoIdpUserPool, name)

        def wrapped(self, client_id, username, *rest, _original=original, **kw):
            return _original(self, client_id, canonical(self, username), *rest, **kw)

        setattr(CognitoIdpUserPool, name, wrapped)


def cache_module_list():
    """moto's dispatcher lists its own package directory (a stat per service, about 150) on
    every request to find the backend; the list cannot change while the server runs."""
    from moto import backends

    modules = list(backends.list_of_moto_modules())
    backends.list_of_moto_modules = lambda: modules


class QuietHandler(MotoRequestHandler):
    """No access log: nobody reads it (stderr is discarded), and formatting a line per request
    costs the one interpreter lock every request needs."""

    def log_request(self, code="-", size="-"):
        pass


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
    host = sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1"
    app = DomainDispatcherApplication(create_backend_app)
    server = make_server(
        host,
        0,
        CallStats(SerializeDynamoDB(app)),
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
