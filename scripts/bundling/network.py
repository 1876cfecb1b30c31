"""Where the environment goes: `scripts/bundle.py --upload` finds the VPC and its subnets.

The region's default VPC and its default subnets (one per Availability Zone), or the VPC and
subnets the operator names with --vpc and --subnets. They go into the bundle as aws:ec2:vpc
options (scripts/bundling/account.py writes them), so the instances, the load balancer and the
push cache of .ebextensions/04-push.config land there with no choice in the console. The
cache reads the Subnets option and needs two Availability Zones or more, and so does an
application load balancer. boto3 is imported by the caller. An offline build (a CI job with no
account access) names the same network with --vpc, --subnets and --public-ip or
--no-public-ip, as `--upload` printed them; `given` takes them as they are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

MIN_ZONES = 2  # an application load balancer and a serverless cache both need two
# Of the default VPC's subnets (one per zone), the first three: plenty for two to four
# instances, and each zone the load balancer spans holds a public IPv4 address, billed hourly.
MAX_ZONES = 3
VPC_ID = re.compile(r"^vpc-[0-9a-f]{8,17}$")
SUBNET_ID = re.compile(r"^subnet-[0-9a-f]{8,17}$")


class NetworkError(ValueError):
    """No usable VPC or subnets; the message says why and what to give instead."""


@dataclass(frozen=True)
class Network:
    vpc: str
    subnets: tuple[str, ...]
    zones: tuple[str, ...]
    public: bool  # every subnet gives its instances a public address (MapPublicIpOnLaunch)
    default: bool  # the region's default VPC, found rather than named


def subnet_ids(text: str) -> tuple[str, ...]:
    """Parse --subnets a,b: subnet IDs, comma-separated, each once."""
    ids = tuple(part.strip() for part in text.split(",") if part.strip())
    bad = [i for i in ids if not SUBNET_ID.match(i)]
    if bad or not ids:
        raise NetworkError(f"--subnets wants subnet IDs such as subnet-0abc1234, got {text!r}")
    if len(set(ids)) != len(ids):
        raise NetworkError(f"--subnets names a subnet twice: {text!r}")
    return ids


def given(vpc: str, subnets: tuple[str, ...], public: bool) -> Network:
    """Return the network an offline build names, checking only the IDs' form and count."""
    # Which zones the subnets are in needs the account to say: `--upload` checks that.
    if not VPC_ID.match(vpc):
        raise NetworkError(f"--vpc wants a VPC ID such as vpc-0abc1234, got {vpc!r}")
    if len(subnets) < MIN_ZONES:
        raise NetworkError(
            f"--subnets names {len(subnets)} subnet(s); the load balancer and the push cache "
            f"need {MIN_ZONES} Availability Zones or more: give the subnets --upload printed"
        )
    return Network(vpc, subnets, (), public, default=False)


def find(ec2: Any, vpc: str | None = None, subnets: tuple[str, ...] = ()) -> Network:
    """Return the network to launch in: the one named, or the region's default VPC."""
    if vpc is not None and not VPC_ID.match(vpc):
        raise NetworkError(f"--vpc wants a VPC ID such as vpc-0abc1234, got {vpc!r}")
    if vpc is not None and not subnets:
        raise NetworkError(f"--vpc {vpc} needs --subnets too: which of its subnets to use")
    if subnets:
        found = ec2.describe_subnets(SubnetIds=list(subnets))["Subnets"]
        vpcs = {s["VpcId"] for s in found}
        if vpc is not None and vpcs != {vpc}:
            raise NetworkError(f"--subnets are in {', '.join(sorted(vpcs))}, not in --vpc {vpc}")
        if len(vpcs) != 1:
            raise NetworkError(f"--subnets are in more than one VPC: {', '.join(sorted(vpcs))}")
        return _network(vpcs.pop(), found, default=False)
    default = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"]
    if not default:
        raise NetworkError(
            "this region has no default VPC: name yours with --vpc vpc-... and --subnets "
            "subnet-a,subnet-b (in two Availability Zones or more)"
        )
    vpc_id = default[0]["VpcId"]
    found = ec2.describe_subnets(
        Filters=[
            {"Name": "vpc-id", "Values": [vpc_id]},
            {"Name": "default-for-az", "Values": ["true"]},
        ]
    )["Subnets"]
    found = sorted(found, key=lambda s: s["AvailabilityZone"])[:MAX_ZONES]
    return _network(vpc_id, found, default=True)


def _network(vpc: str, found: list[dict[str, Any]], *, default: bool) -> Network:
    """Check the subnets span enough Availability Zones; note whether they are public."""
    found = sorted(found, key=lambda s: (s["AvailabilityZone"], s["SubnetId"]))
    zones = tuple(sorted({s["AvailabilityZone"] for s in found}))
    if len(zones) < MIN_ZONES:
        where = ", ".join(zones) or "none"
        raise NetworkError(
            f"the subnets of {vpc} cover {len(zones)} Availability Zone(s) ({where}); the load "
            f"balancer and the push cache need {MIN_ZONES} or more: give --subnets in "
            "two zones or more"
        )
    public = all(s.get("MapPublicIpOnLaunch", False) for s in found)
    return Network(vpc, tuple(s["SubnetId"] for s in found), zones, public, default)


def describe(network: Network) -> str:
    """Return one line saying which network the environment gets."""
    kind = "the default VPC" if network.default else "as given"
    reach = "public" if network.public else "private (instances get no public address)"
    where = ", ".join(network.zones) or "zones not checked offline"
    return f"{network.vpc} ({kind}), subnets {', '.join(network.subnets)} in {where}, {reach}"
