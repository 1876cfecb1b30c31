"""HTTPS for the bundle: `scripts/bundle.py --certificate-arn ARN`.

The certificate goes on the application load balancer, which ends TLS and forwards plain
HTTP to the instances' nginx (as it does today); the bundle gains one extra .ebextensions
file, written into the zip only, and `force_https = true` in the bundled beanstalk.toml, so
the app redirects too, sends HSTS and marks its cookies Secure. Standard library only: a
plain Python builds the bundle.

Option names and values come from the Elastic Beanstalk option reference
(aws:elbv2:listener:listener_port, aws:elbv2:listener:default,
aws:elbv2:listenerrule:rule_name). No option sets the default action of the port 80
listener, so the redirect overrides that listener's CloudFormation resource, which Elastic
Beanstalk names AWSEBV2LoadBalancerListener, as AWS's own samples do.
"""

from __future__ import annotations

import re

CONFIG_NAME = ".ebextensions/02-https.config"  # after 01-app.config, which it leaves alone
HEALTH_PATH = "/health"  # 01-app.config's HealthCheckPath; never redirected
# TLS 1.3 and 1.2 only. Without SSLPolicy, a listener made through CloudFormation gets
# ELBSecurityPolicy-2016-08, which still accepts TLS 1.0.
SSL_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
ACM_ARN = re.compile(
    r"^arn:aws[a-z-]*:acm:(?P<region>[a-z]{2}(-[a-z]+)+-\d):\d{12}:certificate/[0-9a-f-]{36}$"
)

# Its comments name this module by its old path, scripts/bundle_https.py: they are bytes of
# every bundle, left so that the same inputs still build the same zip.
TEMPLATE = """\
# Written by scripts/bundle.py --certificate-arn into this bundle only: HTTPS on the
# application load balancer, and HTTP redirected to it. See scripts/bundle_https.py.
option_settings:
  # An HTTPS listener on 443 with the ACM certificate, forwarding to the default process
  # (the instances' nginx) like the port 80 listener.
  aws:elbv2:listener:443:
    ListenerEnabled: "true"
    Protocol: HTTPS
    SSLCertificateArns: "{arn}"
    SSLPolicy: {policy}

  # Port 80 keeps forwarding the health check path to the app over plain HTTP: monitors that
  # ask http://.../health get the 200 they expect (the app never redirects that path either).
  aws:elbv2:listener:default:
    Rules: health
  aws:elbv2:listenerrule:health:
    PathPatterns: {health}
    Priority: "1"
    Process: default

# Everything else on port 80: a 301 to the same host, path and query over HTTPS, answered by
# the load balancer itself.
Resources:
  AWSEBV2LoadBalancerListener:
    Type: AWS::ElasticLoadBalancingV2::Listener
    Properties:
      LoadBalancerArn:
        Ref: AWSEBV2LoadBalancer
      Port: 80
      Protocol: HTTP
      DefaultActions:
        - Type: redirect
          RedirectConfig:
            Protocol: HTTPS
            Port: "443"
            Host: "#{{host}}"
            Path: "/#{{path}}"
            Query: "#{{query}}"
            StatusCode: HTTP_301
"""


class CertificateError(ValueError):
    """The certificate ARN cannot serve this environment; the message says why."""


def check_certificate(arn: str, region: str) -> None:
    """Refuse anything but an ACM certificate ARN in the environment's region."""
    match = ACM_ARN.match(arn)
    if not match:
        raise CertificateError(
            f"--certificate-arn wants an ACM certificate ARN such as "
            f"arn:aws:acm:{region}:123456789012:certificate/<uuid>, got {arn!r}"
        )
    if match["region"] != region:
        raise CertificateError(
            f"the certificate is in {match['region']}, the environment in {region}: a load "
            "balancer can use ACM certificates from its own region only. Request one there"
        )


def listener_config(arn: str) -> str:
    """Return the .ebextensions file that adds the HTTPS listener and the redirect."""
    return TEMPLATE.format(arn=arn, policy=SSL_POLICY, health=HEALTH_PATH)
