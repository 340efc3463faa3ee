"""Console pages by service: `hats login PROFILE --service s3 --region eu-west-1`.

A shortcut names a service's console page: the path under the console host
(`ec2/home`), whether the service is global (IAM, Route 53, billing: its URL
takes no region) and, for S3, the host of its own it has in the aws partition
(s3.console.aws.amazon.com). A regional page gets `?region=`; without it the
console opens in the last region the user chose there.

`--path` replaces the page under the service's root, so `--service s3 --path
/buckets/logs` is s3/buckets/logs; a `#fragment` in it stays last, after the
query, where the console reads it.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from urllib.parse import urlencode

from .display import printable
from .errors import UsageError

REGION_NAME = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d{1,2}$")
PATH_TEXT = re.compile(r"^[\w\-./~!$&'()*+,;=:@%#?]*$", re.ASCII)  # URL characters; no spaces, quotes or controls


@dataclass(frozen=True)
class ConsolePage:
    root: str                       # "ec2": where --path goes under
    home: str = "/home"             # the page under the root when there is no --path
    is_global: bool = False         # the URL takes no region
    own_host: str | None = None     # "s3": s3.console.aws.amazon.com, in the aws partition only


def _global(root: str, home: str = "/home") -> ConsolePage:
    return ConsolePage(root, home, is_global=True)


PAGES: dict[str, ConsolePage] = {
    "acm": ConsolePage("acm"),
    "apigateway": ConsolePage("apigateway", "/main/apis"),
    "athena": ConsolePage("athena"),
    "billing": _global("billing"),
    "cloudformation": ConsolePage("cloudformation"),
    "cloudfront": _global("cloudfront", "/v4/home"),
    "cloudtrail": ConsolePage("cloudtrail"),
    "cloudwatch": ConsolePage("cloudwatch"),
    "codebuild": ConsolePage("codesuite", "/codebuild/projects"),
    "codepipeline": ConsolePage("codesuite", "/codepipeline/pipelines"),
    "config": ConsolePage("config"),
    "costexplorer": _global("cost-management", "/home#/cost-explorer"),
    "dynamodb": ConsolePage("dynamodbv2"),
    "ec2": ConsolePage("ec2"),
    "ecr": ConsolePage("ecr"),
    "ecs": ConsolePage("ecs", "/v2/home"),
    "eks": ConsolePage("eks", "/home#/clusters"),
    "elasticache": ConsolePage("elasticache"),
    "eventbridge": ConsolePage("events"),
    "glue": ConsolePage("glue"),
    "guardduty": ConsolePage("guardduty"),
    "iam": _global("iam"),
    "identitycenter": ConsolePage("singlesignon"),
    "kinesis": ConsolePage("kinesis"),
    "kms": ConsolePage("kms"),
    "lambda": ConsolePage("lambda"),
    "logs": ConsolePage("cloudwatch", "/home#logsV2:log-groups"),
    "organizations": _global("organizations", "/v2/home"),
    "rds": ConsolePage("rds"),
    "redshift": ConsolePage("redshiftv2"),
    "route53": _global("route53", "/v2/home"),
    "s3": ConsolePage("s3", "/buckets", own_host="s3"),
    "sagemaker": ConsolePage("sagemaker"),
    "secretsmanager": ConsolePage("secretsmanager"),
    "securityhub": ConsolePage("securityhub"),
    "ses": ConsolePage("ses"),
    "sns": ConsolePage("sns", "/v3/home"),
    "sqs": ConsolePage("sqs", "/v3/home"),
    "ssm": ConsolePage("systems-manager"),
    "ssm-parameters": ConsolePage("systems-manager", "/parameters"),
    "stepfunctions": ConsolePage("states"),
    "support": _global("support", "/home#/"),
    "trustedadvisor": _global("trustedadvisor"),
    "vpc": ConsolePage("vpc"),
    "waf": ConsolePage("wafv2", "/homev2"),
}
ALIASES = {"cfn": "cloudformation", "cw": "cloudwatch", "ct": "cloudtrail", "ddb": "dynamodb", "r53": "route53",
           "sfn": "stepfunctions", "sso": "identitycenter", "param": "ssm-parameters", "ce": "costexplorer",
           "apigw": "apigateway", "events": "eventbridge"}
SERVICES: tuple[str, ...] = tuple(sorted((*PAGES, *ALIASES)))  # every name --service takes


class UnknownServiceError(UsageError):
    """--service names no console page hats knows."""


def service_page(service: str) -> ConsolePage:
    """The console page of a shortcut (case-insensitive); an unknown one is refused with the closest names."""
    name = service.strip().lower()
    name = ALIASES.get(name, name)
    if name in PAGES:
        return PAGES[name]
    close = difflib.get_close_matches(name, SERVICES, n=3, cutoff=0.6)
    hint = f"did you mean {', '.join(close)}?" if close else f"known: {', '.join(SERVICES)}"
    raise UnknownServiceError(f"no console service '{_shown(service)}': {hint}")


def check_region(region: str) -> str:
    if not REGION_NAME.match(region):
        raise UsageError(f"'{_shown(region)}' is not an AWS region name (like eu-west-1)")
    return region


def console_destination(service: str, region: str | None = None, path: str | None = None,
                        console_host: str = "console.aws.amazon.com") -> str:
    """The https URL of `service`'s console page in `region`, at `path` under the service when given.

    `console_host` is the partition's console host (tui.signin.PARTITIONS).
    """
    page = service_page(service)
    host = f"{page.own_host}.{console_host}" if page.own_host and console_host == "console.aws.amazon.com" \
        else console_host
    where, fragment = _split_fragment(_page_path(page, path))
    if region and not page.is_global:
        where += ("&" if "?" in where else "?") + urlencode({"region": check_region(region)})
    return f"https://{host}/{page.root}{where}{fragment}"


def _page_path(page: ConsolePage, path: str | None) -> str:
    if not path:
        return page.home
    if not PATH_TEXT.match(path):
        raise UsageError(f"--path '{_shown(path)}' holds characters a console URL cannot (spaces, quotes, "
                         "control characters): percent-encode them")
    return path if path.startswith(("/", "?", "#")) else "/" + path


def _split_fragment(path: str) -> tuple[str, str]:
    where, hash_sign, fragment = path.partition("#")
    return where, hash_sign + fragment


def _shown(text: str) -> str:
    text = printable(text)
    return text if len(text) <= 40 else text[:37] + "..."
