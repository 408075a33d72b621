#!/usr/bin/env python3
"""Prints template.yaml as SAM translates it: the CloudFormation JSON that `sam deploy` hands
to CloudFormation (the generated roles, HTTP API routes, stage, event source mappings...).

Offline, no AWS account: aws-sam-translator (the library behind `sam validate` and `sam build`,
installed in .venv-lint/sam by scripts/install-lint.sh) with its bundled map of AWS managed
policies (a loader that would ask IAM fails instead), the template's parameter defaults, a
fake account and region, stack name "dropgate" (samconfig.toml), and the functions' local code
pointed at placeholder S3 objects as `sam package` would. Under a second.

Usage: .venv-lint/sam/bin/python scripts/sam-translate.py [TEMPLATE]   (default: template.yaml)
local/tests/stack/template_sync/translation.rs runs it (for the checks in translated.rs).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

# Before boto3 loads (samtranslator imports it): a region, and nothing that could reach AWS.
REGION = "us-east-1"
ACCOUNT = "123456789012"
STACK = "dropgate"
os.environ["AWS_DEFAULT_REGION"] = REGION
for var in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
    os.environ.pop(var, None)
os.environ["AWS_CONFIG_FILE"] = os.devnull
os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull

try:
    from samtranslator.model.exceptions import InvalidDocumentException
    from samtranslator.translator.transform import transform
    from samtranslator.yaml_helper import yaml_parse
except ImportError as e:
    sys.exit(
        f"sam-translate: aws-sam-translator is not installed for {sys.executable} ({e}); "
        "run scripts/install-lint.sh"
    )


class NoIamPolicyLoader:
    """Stands in for samtranslator's ManagedPolicyLoader, which lists the managed policies
    through IAM: the translator looks names up in its bundled map first, so it only gets here
    for a name that map lacks, which this script refuses instead of guessing an ARN."""

    def load(self) -> dict[str, str]:
        raise SystemExit(
            "sam-translate: a managed policy name that aws-sam-translator's bundled map lacks; "
            "translating it would need IAM"
        )


# The properties that point at local code, which `sam package` uploads and replaces with an S3
# location (as `sam validate` does before translating: the translator takes only S3 URIs).
CODE_PROPERTIES = {
    "AWS::Serverless::Function": "CodeUri",
    "AWS::Serverless::LayerVersion": "ContentUri",
}


def as_packaged(template: dict) -> None:
    """Points each local CodeUri/ContentUri at a placeholder S3 object, as `sam package` would."""
    for logical_id, resource in template.get("Resources", {}).items():
        prop = CODE_PROPERTIES.get(resource.get("Type"))
        props = resource.get("Properties", {})
        if prop and isinstance(props.get(prop), str) and not props[prop].startswith("s3://"):
            props[prop] = f"s3://{STACK}-artifacts/{logical_id}.zip"


def main() -> None:
    root = Path(__file__).resolve().parent.parent
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else root / "template.yaml"
    template = yaml_parse(path.read_text(encoding="utf-8"))
    as_packaged(template)
    # The translator fills in the parameters' defaults itself; these are the pseudo parameters
    # a deploy would give it.
    parameters = {
        "AWS::Region": REGION,
        "AWS::AccountId": ACCOUNT,
        "AWS::StackName": STACK,
        "AWS::Partition": "aws",
        "AWS::URLSuffix": "amazonaws.com",
    }
    try:
        out = transform(template, parameters, NoIamPolicyLoader())
    except InvalidDocumentException as e:
        causes = "; ".join(c.message for c in e.causes)
        sys.exit(f"sam-translate: {path}: {e.message} {causes}")
    json.dump(out, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
