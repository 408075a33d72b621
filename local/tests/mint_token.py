"""Mints a JWT with the emulator's own Cognito signing key (public in moto's source), so that
tests can present tokens the emulator never issues: expired, wrong audience, wrong issuer.
Usage: python mint_token.py '<claims JSON>' [kid] (the key's own kid, `dummy`, by default; any
other names a key the pool does not have, signed with the same private key)."""

import json
import sys

from joserfc import jwt
from joserfc.jwk import RSAKey
from moto.utilities.utils import load_resource

key = RSAKey.import_key(load_resource("cognitoidp/resources/jwks-private.json"))
kid = sys.argv[2] if len(sys.argv) > 2 else "dummy"
print(jwt.encode({"alg": "RS256", "kid": kid, "typ": "JWT"}, json.loads(sys.argv[1]), key))
