"""The load balancer's settings that no Elastic Beanstalk option reaches, for scripts/bundle.py.

An application load balancer passes on header fields whose names are not valid HTTP tokens
unless its attribute routing.http.drop_invalid_header_fields.enabled is true (Elastic Load
Balancing user guide, "Application Load Balancers", load balancer attributes). Elastic
Beanstalk has no option for it (its option reference, aws:elbv2:loadbalancer, lists none; the
request is open on AWS's Elastic Beanstalk roadmap, issue 210), so the file this module writes
changes the load balancer's CloudFormation resource itself, by the name Elastic Beanstalk gives
it, AWSEBV2LoadBalancer ("Modifying the resources that Elastic Beanstalk creates for your
environment"), as scripts/bundling/https.py does for the port 80 listener.

A single-instance environment has no such resource: a file naming it would make its stack
fail to create. So scripts/bundle.py adds this file to the bundle of a load-balanced
environment only; the rest of the platform upkeep, options alone, is in
.ebextensions/07-upkeep.config for both. Standard library only: a plain Python builds the bundle.
"""

from __future__ import annotations

import re

CONFIG_NAME = ".ebextensions/07-balancer.config"  # beside 07-upkeep.config, after 04-push's
# The header names the load balancer keeps when it drops invalid ones (the same attribute's
# description: letters, digits and hyphens). Every header the app and its pages use fits.
VALID_HEADER_NAME = re.compile(r"^[-A-Za-z0-9]+$")
# 04-push.config's aws:elbv2:loadbalancer IdleTimeout, for an environment where no option
# sets one.
IDLE_TIMEOUT_DEFAULT = "60"

# Its comments name this module by its old path, scripts/bundle_balancer.py: they are bytes of
# every bundle, left so that the same inputs still build the same zip.
TEMPLATE = """\
# Written by scripts/bundle.py into the bundle of a load-balanced environment only (a single
# instance has no load balancer to change). See scripts/bundle_balancer.py.
Resources:
  AWSEBV2LoadBalancer:
    Type: AWS::ElasticLoadBalancingV2::LoadBalancer
    Properties:
      # CloudFormation reference, AWS::ElasticLoadBalancingV2::LoadBalancer LoadBalancerAttribute.
      LoadBalancerAttributes:
        # Drop header fields whose names are not letters, digits and hyphens instead of passing
        # them on: nginx and the app then never see a name that one reader could take for
        # another (X-Forwarded_For beside X-Forwarded-For), the stuff of request smuggling.
        - Key: routing.http.drop_invalid_header_fields.enabled
          Value: "true"
        # Elastic Beanstalk writes the IdleTimeout option as this same list's idle timeout, and
        # a list set here takes the list's place: so carry the option's value over, read from
        # the option itself (Elastic Beanstalk "Functions": Fn::GetOptionSetting), so the
        # option stays the one place to change it.
        - Key: idle_timeout.timeout_seconds
          Value:
            Fn::GetOptionSetting:
              Namespace: aws:elbv2:loadbalancer
              OptionName: IdleTimeout
              DefaultValue: "{idle}"
"""


def config_text() -> str:
    """Return the .ebextensions file that sets the load balancer's attributes."""
    return TEMPLATE.format(idle=IDLE_TIMEOUT_DEFAULT)


# What a single-instance bundle gets instead. 05-deploy.config asks for rolling deploys with an
# extra batch, which Elastic Beanstalk supports on load-balanced environments only (developer
# guide, "Deploying applications to Elastic Beanstalk environments", the table of supported
# deployment policies: a single instance takes All at once or Immutable). Immutable would need
# the deploy role to create Auto Scaling groups and pass the instance role, which it may not
# (iam/deploy-policy.json); so a single instance deploys all at once, saying so here. Named to
# sort after 05-deploy.config: of two files setting one option, the later one wins.
SINGLE_NAME = ".ebextensions/07-single.config"
# It names scripts/bundle_balancer.py too, for the same reason.
SINGLE_TEXT = """\
# Written by scripts/bundle.py into the bundle of a single-instance environment only: it cannot
# roll (see scripts/bundle_balancer.py), so each deploy restarts its one instance.
option_settings:
  aws:elasticbeanstalk:command:
    DeploymentPolicy: AllAtOnce
"""


def files(load_balanced: bool) -> dict[str, str]:
    """Return the generated files that depend on the environment's type, by name in the zip."""
    if load_balanced:
        return {CONFIG_NAME: config_text()}
    return {SINGLE_NAME: SINGLE_TEXT}
