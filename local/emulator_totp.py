# Mends of moto's Cognito for two-factor sign-in (TOTP); read before emulator.py, which calls
# them (the launcher is the two files joined).


def mend_totp_sessions():
    """moto 5.2 checks a TOTP code only with MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP=true (the
    launcher sets it; every secret is moto's one fixed secret), and its login challenge sessions
    neither expire nor belong to anyone: an unknown session is a KeyError (a 500), and any
    user's name passes with any live session. As Cognito: a challenge session answers only for
    the user who was challenged, within the app client's `AuthSessionValidity` (3 minutes by
    default), once; otherwise `NotAuthorizedException` ("Invalid session for the user, session
    is expired.")."""
    import threading
    import time

    from moto.cognitoidp.exceptions import NotAuthorizedError
    from moto.cognitoidp.models import CognitoIdpBackend

    born = {}
    lock = threading.Lock()
    original_initiate = CognitoIdpBackend.initiate_auth
    original_respond = CognitoIdpBackend.respond_to_auth_challenge

    def initiate_auth(self, client_id, auth_flow, auth_parameters):
        out = original_initiate(self, client_id, auth_flow, auth_parameters)
        if isinstance(out, dict) and out.get("Session"):
            with lock:
                born[out["Session"]] = time.time()
        return out

    def respond_to_auth_challenge(self, session, client_id, challenge_name, challenge_responses):
        if challenge_name in ("SOFTWARE_TOKEN_MFA", "SMS_MFA"):
            expired = NotAuthorizedError("Invalid session for the user, session is expired.")
            held = self.sessions.get(session)
            if held is None:
                raise expired
            name, pool = held
            client = pool.clients.get(client_id)
            minutes = int((client.extended_config if client else {}).get("AuthSessionValidity") or 3)
            with lock:
                started = born.get(session, 0)
            if time.time() - started >= minutes * 60:
                self.sessions.pop(session, None)
                raise expired
            asked = (challenge_responses or {}).get("USERNAME", "")
            if pool._get_user(asked) is None or pool._get_user(asked) is not pool._get_user(name):
                raise expired
            out = original_respond(self, session, client_id, challenge_name, challenge_responses)
            with lock:
                born.pop(session, None)
            return out
        return original_respond(self, session, client_id, challenge_name, challenge_responses)

    CognitoIdpBackend.initiate_auth = initiate_auth
    CognitoIdpBackend.respond_to_auth_challenge = respond_to_auth_challenge


def mend_totp_association():
    """moto 5.2 keeps a user's software token verified across a new `AssociateSoftwareToken`;
    Cognito's new secret counts only once a code of it is verified (a user with TOTP on keeps
    it on meanwhile, as in Cognito). And moto verifies a code for a user who was never given a
    secret (every user has its one fixed secret); Cognito has no secret of that user to check
    it against and refuses (`EnableSoftwareTokenMFAException`). A secret once verified stays
    the user's (turning TOTP off checks a code of it)."""
    from moto.cognitoidp.models import CognitoIdpBackend
    from moto.core.exceptions import JsonRESTError

    original = CognitoIdpBackend.associate_software_token
    original_verify = CognitoIdpBackend.verify_software_token

    def owner(self, access_token):
        for pool in self.user_pools.values():
            if access_token in pool.access_tokens:
                _, username = pool.access_tokens[access_token]
                return pool._get_user(username)
        return None

    def associate_software_token(self, access_token, session):
        out = original(self, access_token, session)
        user = owner(self, access_token) if access_token else None
        if user is not None:
            user.dropgate_secret_pending = True
            if not user.software_token_mfa_enabled:
                user.token_verified = False
        return out

    def verify_software_token(self, access_token, session, user_code, friendly_device_name):
        user = owner(self, access_token) if access_token and not session else None
        given = user is not None and (
            getattr(user, "dropgate_secret_pending", False) or user.token_verified
        )
        if user is not None and not given:
            raise JsonRESTError(
                "EnableSoftwareTokenMFAException",
                "Code mismatch and fail enable Software Token MFA",
            )
        out = original_verify(self, access_token, session, user_code, friendly_device_name)
        if user is not None:
            user.dropgate_secret_pending = False
        return out

    CognitoIdpBackend.associate_software_token = associate_software_token
    CognitoIdpBackend.verify_software_token = verify_software_token
