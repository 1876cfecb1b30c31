"""The session keys from an SSM Parameter Store SecureString, read once at start-up.

[flask].secret_key_parameter names the parameter, in [dynamodb].region. Its value holds the
current key on the first line and any previous keys (still accepted, never used to sign) on
the lines after it, so a rotation is one `put-parameter --overwrite` and a restart. The
instance role needs only ssm:GetParameter on that one parameter: values encrypted with the
AWS managed key aws/ssm may be decrypted by any principal of the account that can read them.
"""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError

from tictactoe.adapters import clients
from tictactoe.config import ConfigError, Settings


def read_keys(settings: Settings, name: str) -> list[str]:
    """Return the keys stored in parameter `name`, current first; ConfigError if unreadable."""
    client = clients.ssm(settings, clients.session(settings))
    try:
        found = client.get_parameter(Name=name, WithDecryption=True)["Parameter"]
    except (BotoCoreError, ClientError) as err:
        raise ConfigError(f"cannot read the SSM parameter {name} ({err})") from err
    if found.get("Type") != "SecureString":
        raise ConfigError(
            f"the SSM parameter {name} is a {found.get('Type')}; store the key as a "
            "SecureString, so it is encrypted at rest and kept out of plain listings"
        )
    keys = [line.strip() for line in found["Value"].splitlines() if line.strip()]
    if not keys:
        raise ConfigError(f"the SSM parameter {name} is empty")
    return keys
