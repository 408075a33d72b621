"""Mints a JWT with the emulator's own Cognito signing key (public in moto's source), so that
tests can present tokens the emulator never issues: expired, wrong audience, wrong issuer.
Usage: python mint_token.py '<claims JSON>'"""

import json
import sys

from joserfc import jwt
from joserfc.jwk import RSAKey
from moto.utilities.utils import load_resource

key = RSAKey.import_key(load_resource("cognitoidp/resources/jwks-private.json"))
print(jwt.encode({"alg": "RS256", "kid": "dummy", "typ": "JWT"}, json.loads(sys.argv[1]), key))
