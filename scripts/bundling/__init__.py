"""What scripts/bundle.py is made of, one module per part of a build.

- options: the command line, and which flags go together
- config: the config that goes into the zip, validated by the app's own loader, with its key
- archive: the allow-list of files and the reproducible zip
- ebextensions: the .ebextensions files a build generates, from https (--certificate-arn),
  balancer (a load-balanced environment), account (the network, --alarm-email) and waf (--waf)
- upload, network, account: --upload's account steps and the upload itself
- report, workflow: what the script prints: the Launch Now URL, continuous deployment's variables

Standard library only, but for the boto3 calls of --upload: a plain Python builds the bundle.
"""
