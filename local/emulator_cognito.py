# Mends of moto's Cognito where accounts depend on it (tokens revoked, codes mailed and
# checked, attribute updates held until verified, verified sign-ups, id token claims); read
# before emulator.py, which calls them (the launcher is the files joined).


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
    confirmation is the operator's word). Dropgate mails only a verified address. And moto
    confirms an account that is confirmed already, whatever the code; Cognito refuses it
    (`NotAuthorizedException`, "Current status is CONFIRMED"), as it refuses an unknown user:
    a confirmation tells no address from another."""
    from moto.cognitoidp.exceptions import NotAuthorizedError
    from moto.cognitoidp.models import CognitoIdpBackend, UserStatus

    def verified(pool, user):
        if user and "email" in user.attribute_lookup and "email" in pool.extended_config.get(
            "AutoVerifiedAttributes", []
        ):
            user.update_attributes([{"Name": "email_verified", "Value": "true"}])

    original_confirm = CognitoIdpBackend.confirm_sign_up
    original_admin = CognitoIdpBackend.admin_confirm_sign_up

    def confirm_sign_up(self, client_id, username):
        pool = _pool_of_client(self, client_id)
        user = pool._get_user(username) if pool is not None else None
        if user is not None and user.status == UserStatus.CONFIRMED:
            raise NotAuthorizedError("User cannot be confirmed. Current status is CONFIRMED")
        out = original_confirm(self, client_id, username)
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

