"""The optional web ACL: `scripts/bundle.py --waf` puts AWS WAF in front of the load balancer.

Off by default: it costs a fixed amount a month (docs/cost.md), and the app already refuses
password guessing by itself (docs/accounts.md). What it adds is refusing before the app: a
flood of logins from one address is blocked at the load balancer instead of costing a core to
refuse, and AWS's managed common rule set turns away the usual probes (path traversal,
cross-site scripting, requests with no User-Agent) before they reach nginx.

One generated .ebextensions file: an AWS::WAFv2::WebACL with REGIONAL scope (the scope for an
application load balancer) and an AWS::WAFv2::WebACLAssociation to the environment's load
balancer, named AWSEBV2LoadBalancer by Elastic Beanstalk ("Modifying the resources that Elastic
Beanstalk creates for your environment"); Ref on it gives its ARN (CloudFormation reference,
AWS::ElasticLoadBalancingV2::LoadBalancer, return values). Property names from the
CloudFormation reference, AWS::WAFv2::WebACL and its property types (Rule, Statement,
ManagedRuleGroupStatement, RuleActionOverride, RateBasedStatement, ByteMatchStatement,
VisibilityConfig) and AWS::WAFv2::WebACLAssociation. A SingleInstance environment has no load
balancer to guard, so bundle.py refuses --waf there. Standard library only.
"""

from __future__ import annotations

CONFIG_NAME = ".ebextensions/08-waf.config"
# The paths a password is posted to: the API's and the pages' login form.
LOGIN_PATHS = ("/api/login", "/login")
# Requests a client address may post to them per window before WAF blocks it. The app allows
# 60 login attempts a minute per client by default ([limits] login_attempts_per_client), so
# 300 in 5 minutes lets through everything the app would answer and blocks only what it would
# refuse anyway, at no cost to the instances. WAF counts over a sliding window, the app per
# calendar minute.
LOGIN_RATE_LIMIT = 300
LOGIN_WINDOW_SECONDS = 300  # one of the window lengths RateBasedStatement accepts
# The managed rule that blocks any request body over 8 KB ("AWS Managed Rules", baseline rule
# groups, core rule set). A player's picture is up to 5 MiB (PUT /api/me/avatar, POST
# /profile/avatar): that rule would refuse every upload, so it only counts. WAF can inspect no
# more than the first 8 KB of a body behind an application load balancer anyway; the app
# checks the whole picture itself (docs/pictures.md).
BODY_SIZE_RULE = "SizeRestrictions_BODY"
BODY_INSPECTION_LIMIT = 8 * 1024

# Its comments name this module by its old path, scripts/bundle_waf.py: they are bytes of
# every bundle, left so that the same inputs still build the same zip.
TEMPLATE = """\
# Written by scripts/bundle.py --waf into this bundle only: AWS WAF on the load balancer, with
# AWS's managed common rule set and a rate rule on logins. See scripts/bundle_waf.py.
Resources:
  WafWebAcl:
    Type: AWS::WAFv2::WebACL
    Properties:
      Name:
        Fn::Join: ["-", [{{Ref: "AWS::StackName"}}, waf]]
      Description: Tic-Tac-Toe, in front of the Elastic Beanstalk load balancer
      Scope: REGIONAL
      DefaultAction:
        Allow: {{}}
      VisibilityConfig:
        CloudWatchMetricsEnabled: true
        MetricName: tictactoe-waf
        SampledRequestsEnabled: true
      Rules:
        # First, so a flood of guesses is blocked before anything else looks at it.
        - Name: login-rate
          Priority: 0
          Action:
            Block: {{}}
          Statement:
            RateBasedStatement:
              AggregateKeyType: IP
              Limit: {limit}
              EvaluationWindowSec: {window}
              # Count only password posts: POST to one of the login paths.
              ScopeDownStatement:
                AndStatement:
                  Statements:
                    - ByteMatchStatement:
                        FieldToMatch:
                          Method: {{}}
                        PositionalConstraint: EXACTLY
                        SearchString: POST
                        TextTransformations:
                          - Priority: 0
                            Type: NONE
                    - OrStatement:
                        Statements:
{paths}
          VisibilityConfig:
            CloudWatchMetricsEnabled: true
            MetricName: tictactoe-waf-login-rate
            SampledRequestsEnabled: true
        - Name: aws-common-rules
          Priority: 1
          # Keep the rule group's own actions (block), but for the one below.
          OverrideAction:
            None: {{}}
          Statement:
            ManagedRuleGroupStatement:
              VendorName: AWS
              Name: AWSManagedRulesCommonRuleSet
              RuleActionOverrides:
                # Count, not block: it refuses every body over 8 KB, so every picture upload.
                - Name: {body_rule}
                  ActionToUse:
                    Count: {{}}
          VisibilityConfig:
            CloudWatchMetricsEnabled: true
            MetricName: tictactoe-waf-common-rules
            SampledRequestsEnabled: true

  WafWebAclAssociation:
    Type: AWS::WAFv2::WebACLAssociation
    Properties:
      ResourceArn:
        Ref: AWSEBV2LoadBalancer
      WebACLArn:
        Fn::GetAtt: [WafWebAcl, Arn]
"""

PATH_MATCH = """\
                          - ByteMatchStatement:
                              FieldToMatch:
                                UriPath: {{}}
                              PositionalConstraint: EXACTLY
                              SearchString: {path}
                              TextTransformations:
                                - Priority: 0
                                  Type: NONE"""


def config_text() -> str:
    """Return the .ebextensions file that adds the web ACL and associates it."""
    paths = "\n".join(PATH_MATCH.format(path=path) for path in LOGIN_PATHS)
    return TEMPLATE.format(
        limit=LOGIN_RATE_LIMIT, window=LOGIN_WINDOW_SECONDS, paths=paths, body_rule=BODY_SIZE_RULE
    )
